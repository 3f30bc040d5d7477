#include "tools/cs_swarm/station.hpp"

#include <algorithm>
#include <random>

#include "pki/csr.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"
#include "protocol/json_writer.hpp"
#include "tools/cs_swarm/credentials.hpp"
#include "tools/cs_swarm/messages.hpp"
#include "tools/cs_swarm/worker.hpp"

namespace evbroker::swarm {
namespace {

ocpp::Version version_of(OcppChoice choice, std::size_t index) {
  switch (choice) {
    case OcppChoice::v201: return ocpp::Version::v201;
    case OcppChoice::v16: return ocpp::Version::v16;
    case OcppChoice::mix: return index % 2 == 0 ? ocpp::Version::v201 : ocpp::Version::v16;
  }
  return ocpp::Version::v201;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

/// Energy a car takes in one meter interval at 11 kW for a minute, in Wh.
constexpr double kWhPerMeterValue = 184;

}  // namespace

Station::Station(Worker& worker, RunContext& run, std::size_t index)
    : worker_(worker),
      run_(run),
      index_(index),
      id_(station_id(run.options, index)),
      id_tag_(token_uid(run.options, index % run.options.tokens)),
      version_(version_of(run.options.ocpp, index)),
      timer_(worker.io()),
      idle_interval_(seconds(run.options.heartbeat_interval_s.value_or(300))) {}

// ---- connection ---------------------------------------------------------------------------------

void Station::connect() {
  if (stopping_ || state_ != LinkState::idle) return;
  state_ = LinkState::connecting;
  worker_.connecting_started();
  worker_.stats().add(Counter::connect_attempts);
  ConnectRequest request;
  request.station_id = id_;
  request.subprotocol = std::string(ocpp::subprotocol(version_));
  if (run_.options.password) request.authorization = basic_authorization(id_, *run_.options.password);
  if (!run_.sources.empty()) request.source = run_.sources[index_ % run_.sources.size()];
  if (run_.target.tls && run_.options.tls_resume) {
    if (!tls_session_) tls_session_ = std::make_shared<TlsSessionSlot>();
    request.tls_session = tls_session_;
  }
  link_ = worker_.make_link(*this);
  link_->open(run_.target, request);
}

void Station::on_open() {
  worker_.connecting_finished();
  state_ = LinkState::open;
  worker_.stats().add(Counter::connects);
  if (link_->tls_resumed()) worker_.stats().add(Counter::tls_resumed);
  worker_.stats().connected(+1);
  in_boot_sequence_ = true;
  cursor_ = 0;
  connector_ = 1;
  next();
}

void Station::on_open_failed(const std::string& kind) {
  worker_.connecting_finished();
  state_ = LinkState::idle;
  link_.reset();
  worker_.stats().add(Counter::connect_failures);
  run_.errors->add("connect_failures", kind);
  resolve_first_attempt();
  if (!stopping_) schedule_reconnect(jittered(run_.options.reconnect_delay_s, 0.5, 1.5));
}

void Station::on_closed(const std::string& kind) {
  worker_.stats().add(Counter::disconnects);
  run_.errors->add("disconnects", kind);
  if (booted_ && !waiting_recovery_) {
    waiting_recovery_ = true;
    run_.recovery.dropped(Clock::now());
  }
  connection_gone();
  resolve_first_attempt();
  // Spread the first retry over one delay: a server that restarts should not meet every station
  // in the same millisecond, and real stations do not reconnect in lockstep either.
  if (!stopping_) schedule_reconnect(jittered(run_.options.reconnect_delay_s, 0, 1));
}

void Station::drop_and_reconnect() {
  if (state_ != LinkState::open || stopping_) return;
  if (booted_ && !waiting_recovery_) {
    waiting_recovery_ = true;
    run_.recovery.dropped(Clock::now());
  }
  link_->abort();
  connection_gone();
  connect();  // at once: that is the storm
}

void Station::begin_stop() {
  stopping_ = true;
  timer_.cancel();
  // An awaited CertificateSigned is as good as a CALL in flight: closing now would make it an error.
  if (state_ == LinkState::open && !in_flight_ && sign_ != SignState::awaiting) {
    close_link();
  } else if (state_ == LinkState::connecting) {
    link_->abort();  // no event follows an abort
    link_.reset();
    state_ = LinkState::idle;
    worker_.connecting_finished();
  }
}

void Station::close_link() {
  if (state_ != LinkState::open) return;
  link_->close();
  connection_gone();
}

void Station::connection_gone() {
  state_ = LinkState::idle;
  link_.reset();
  timer_.cancel();
  worker_.stats().connected(-1);
  if (in_flight_) {
    worker_.stats().add(Counter::lost_calls);
    run_.errors->add("lost_calls", std::string(action_name(in_flight_->step, version_)));
    in_flight_.reset();
  }
  if (sign_ == SignState::awaiting) {
    worker_.stats().add(Counter::lost_calls);
    run_.errors->add("lost_calls", "CertificateSigned (awaited)");
  }
  sign_ = SignState::none;
  if (booted_) {
    booted_ = false;
    worker_.stats().booted(-1);
  }
}

void Station::schedule_reconnect(Clock::duration delay) {
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

Clock::duration Station::jittered(double s, double low, double high) {
  std::uniform_real_distribution<double> factor(low, high);
  return seconds(s * factor(worker_.rng()));
}

void Station::resolve_first_attempt() {
  if (first_resolved_) return;
  first_resolved_ = true;
  run_.first_attempts_resolved.fetch_add(1, std::memory_order_relaxed);
}

// ---- the conversation ----------------------------------------------------------------------------

Clock::duration Station::period() const {
  if (run_.pace > Clock::duration::zero()) return run_.pace;
  return run_.plan.idle ? idle_interval_ : Clock::duration::zero();
}

void Station::next() {
  if (stopping_ || state_ != LinkState::open || in_flight_ || sign_ == SignState::awaiting) return;
  const auto& plan = run_.plan;
  const auto now = Clock::now();
  if (in_boot_sequence_) {
    if (cursor_ < plan.on_connect.size()) return send_step(plan.on_connect[cursor_]);
    // The ramp counts a station as done once its whole boot sequence is answered, so the
    // measurement window does not start with the last StatusNotifications still arriving.
    resolve_first_attempt();
    in_boot_sequence_ = false;
    cursor_ = 0;
    // The first cycle CALL at a random point of one period, so stations do not move in lockstep.
    std::uniform_real_distribution<double> phase(0, 1);
    next_due_ = now + std::chrono::duration_cast<Clock::duration>(period() * phase(worker_.rng()));
  }
  if (cursor_ >= plan.cycle.size()) {
    cursor_ = 0;
    if (plan.reconnect_each_cycle) {
      close_link();
      return connect();
    }
  }
  if (next_due_ > now) return wait_until(next_due_);
  // Paced: the next CALL is due one period after this one was due; a station that fell behind
  // sends at once but does not burst to catch up.
  next_due_ = std::max(next_due_ + period(), now);
  send_step(plan.cycle[cursor_]);
}

void Station::wait_until(Clock::time_point when) {
  timer_.expires_at(when);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) next();
  });
}

void Station::begin_transaction() {
  ++transactions_;
  transaction_201_ = run_.run_tag + "-" + std::to_string(index_) + "-" + std::to_string(transactions_);
  seq_no_ = 0;
  transaction_16_ = 0;
}

void Station::skip_transaction() {
  // The start failed: no meter values or stop for a transaction the server does not know.
  const auto& cycle = run_.plan.cycle;
  auto stop = std::find(cycle.begin() + static_cast<std::ptrdiff_t>(cursor_), cycle.end(), Step::tx_stop);
  cursor_ = stop == cycle.end() ? cursor_ + 1 : static_cast<std::size_t>(stop - cycle.begin()) + 1;
}

void Station::send_step(Step step) {
  switch (step) {
    case Step::tx_start: begin_transaction(); break;
    case Step::tx_meter:
      ++seq_no_;
      meter_wh_ += kWhPerMeterValue;
      break;
    case Step::tx_stop: ++seq_no_; break;
    case Step::sign_certificate:
      if (csr().empty()) {
        ++cursor_;
        return pause_after_signing();
      }
      break;
    default: break;
  }
  StationFacts facts;
  facts.station_id = id_;
  facts.id_tag = id_tag_;
  facts.connector = static_cast<std::uint32_t>(step == Step::status_available && in_boot_sequence_ ? connector_ : 1);
  facts.sampled_values = run_.options.sampled_values;
  facts.transaction_16 = transaction_16_;
  facts.transaction_201 = transaction_201_;
  facts.seq_no = seq_no_;
  facts.meter_wh = meter_wh_;
  facts.csr = csr_pem_;

  thread_local std::string payload;
  payload.clear();
  if (version_ == ocpp::Version::v16)
    write_payload_16(step, facts, payload);
  else
    write_payload_201(step, facts, payload);

  in_flight_ = InFlight{std::to_string(++message_counter_), step, Clock::now()};
  std::string frame;
  frame.reserve(payload.size() + 48);
  ocpp::JsonWriter w(frame);
  ocpp::write_call(w, in_flight_->message_id, action_name(step, version_), payload);
  worker_.stats().add(Counter::calls);
  if (step == Step::sign_certificate) {
    sign_ = SignState::requested;
    sign_sent_ = in_flight_->sent;
  }
  link_->send(std::move(frame));
}

const std::string& Station::csr() {
  if (csr_pem_.empty()) {
    auto request = pki::make_csr(*run_.pnc_key, id_);
    if (request)
      csr_pem_ = request->pem();
    else {
      // Counted as a rejection: the scenario cannot go on, and the reason is in the tally.
      worker_.stats().add(Counter::rejections);
      run_.errors->add("rejections", "CSR: " + request.error());
    }
  }
  return csr_pem_;
}

void Station::on_text(std::string_view text) {
  auto frame = ocpp::parse_frame(text);
  auto& stats = worker_.stats();
  if (!frame) {
    stats.add(Counter::invalid_answers);
    run_.errors->add("invalid_answers", "frame: " + std::string(ocpp::describe(frame.error().code)));
    return;
  }
  if (frame->type == ocpp::MessageType::call) return answer_csms_call(*frame);
  if (!in_flight_ || frame->message_id != in_flight_->message_id) {
    stats.add(Counter::late_answers);
    run_.errors->add("late_answers", frame->message_id == timed_out_id_ ? "after its timeout" : "to no CALL of ours");
    return;
  }
  const auto flight = std::move(*in_flight_);
  in_flight_.reset();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - flight.sent).count();
  stats.answered(flight.step, version_ == ocpp::Version::v16, static_cast<std::uint64_t>(micros));

  if (frame->type == ocpp::MessageType::call_error) {
    stats.add(Counter::call_errors);
    run_.errors->add("call_errors", frame->error_code);
    run_.errors->add("call_errors_by_action",
                     std::string(action_name(flight.step, version_)) + " " + frame->error_code);
    return on_answer(flight.step, false, nullptr);
  }
  const auto checked = check_answer(version_, flight.step, frame->payload);
  if (!checked.valid) {
    stats.add(Counter::invalid_answers);
    run_.errors->add("invalid_answers", checked.error);
    return on_answer(flight.step, false, nullptr);
  }
  stats.add(Counter::results);
  on_answer(flight.step, true, &checked);
}

void Station::answer_csms_call(const ocpp::Frame& call) {
  if (state_ != LinkState::open) return;
  if (run_.plan.await_certificate_signed && call.action == "CertificateSigned") return on_certificate_signed(call);
  // Otherwise the swarm simulates the station-initiated half of OCPP; every other server CALL gets
  // a valid CALLERROR so the server's call does not hang until its timeout.
  worker_.stats().add(Counter::csms_calls);
  run_.errors->add("csms_calls", call.action);
  link_->send(ocpp::call_error_frame(call.message_id, "NotSupported", "cs_swarm does not implement " + call.action));
}

void Station::on_certificate_signed(const ocpp::Frame& call) {
  const auto checked = check_certificate_signed(version_, call.payload);
  if (!checked.valid) {
    // Refused as a real station would refuse it; the wait goes on until a valid one or the timeout.
    worker_.stats().add(Counter::invalid_answers);
    run_.errors->add("invalid_answers", checked.error);
    link_->send(ocpp::call_error_frame(call.message_id, ocpp::wire_name(checked.error_code, version_), checked.error));
    return;
  }
  link_->send(ocpp::call_result_frame(call.message_id, R"({"status":"Accepted"})"));
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sign_sent_).count();
  switch (sign_) {
    case SignState::requested:
      worker_.stats().certificate_signed(static_cast<std::uint64_t>(micros));
      sign_ = SignState::arrived_early;  // the SignCertificate answer ends the cycle
      return;
    case SignState::awaiting:
      worker_.stats().certificate_signed(static_cast<std::uint64_t>(micros));
      return pause_after_signing();
    case SignState::none:
    case SignState::arrived_early: break;
  }
  // After its timeout, or a redelivery of an earlier certificate (the server retries until accepted).
  worker_.stats().add(Counter::late_answers);
  run_.errors->add("late_answers", "CertificateSigned not awaited");
}

void Station::pause_after_signing() {
  sign_ = SignState::none;
  if (stopping_) return close_link();
  next_due_ = Clock::now() + run_.pnc_interval;
  next();
}

void Station::check_timeout(Clock::time_point now) {
  if (sign_ == SignState::awaiting && now - sign_sent_ >= run_.call_timeout) {
    worker_.stats().add(Counter::timeouts);
    run_.errors->add("timeouts", "CertificateSigned");
    return pause_after_signing();
  }
  if (!in_flight_ || now - in_flight_->sent < run_.call_timeout) return;
  worker_.stats().add(Counter::timeouts);
  run_.errors->add("timeouts", std::string(action_name(in_flight_->step, version_)));
  timed_out_id_ = in_flight_->message_id;
  const auto step = in_flight_->step;
  in_flight_.reset();
  on_answer(step, false, nullptr);
}

void Station::on_answer(Step step, bool ok, const CheckedAnswer* checked) {
  // An accepted SignCertificate still waits for its CertificateSigned when stopping (the server would
  // otherwise find the station gone); every path of that case closes once done.
  if (stopping_ && step != Step::sign_certificate) return close_link();
  switch (step) {
    case Step::boot: {
      if (ok && checked->boot_accepted.value_or(false)) {
        booted_ = true;
        worker_.stats().booted(+1);
        worker_.stats().add(Counter::boots);
        if (waiting_recovery_) {
          waiting_recovery_ = false;
          run_.recovery.rebooted(Clock::now());
        }
        if (!run_.options.heartbeat_interval_s && checked->interval_s && *checked->interval_s > 0)
          idle_interval_ = std::chrono::seconds(*checked->interval_s);
        break;
      }
      // Pending or Rejected: wait the interval the server asks for (at least a second) and boot
      // again; an error or no answer: wait like after a failed connection attempt.
      resolve_first_attempt();
      Clock::duration wait = jittered(run_.options.reconnect_delay_s, 0.5, 1.5);
      if (ok) {
        worker_.stats().add(Counter::boots_rejected);
        wait = std::chrono::seconds(std::max<std::int64_t>(1, checked->interval_s.value_or(1)));
      }
      return wait_until(Clock::now() + wait);
    }
    case Step::status_available:
      if (in_boot_sequence_) ++connector_;
      break;
    case Step::tx_start:
      if (!ok) {
        skip_transaction();
        return next();
      }
      if (version_ == ocpp::Version::v16) transaction_16_ = checked->transaction_16.value_or(0);
      break;
    case Step::sign_certificate:
      ++cursor_;
      if (ok && checked->sign_status == "Accepted") {
        if (sign_ == SignState::arrived_early) return pause_after_signing();
        sign_ = SignState::awaiting;  // CertificateSigned or the timeout goes on
        return;
      }
      if (ok) {
        worker_.stats().add(Counter::rejections);
        run_.errors->add("rejections", "SignCertificate " + checked->sign_status.value_or("?"));
      }
      return pause_after_signing();
    default: break;
  }
  ++cursor_;
  next();
}

}  // namespace evbroker::swarm
