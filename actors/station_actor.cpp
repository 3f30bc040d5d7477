#include "actors/station_actor.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "actors/handlers/handler_support.hpp"
#include "actors/router.hpp"
#include "actors/pnc/pnc_messages.hpp"
#include "actors/router.hpp"
#include "actors/settings.hpp"
#include "actors/handlers/runtime_keys.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"

namespace evbroker::actors {
namespace {

using Self = caf::stateful_actor<StationState>;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void send_frame(Self* self, std::string frame) {
  if (auto connection = self->state.setup.connection.lock()) connection->send_text(std::move(frame));
}

void send_call_error(Self* self, std::string_view message_id, const ocpp::CallError& error) {
  send_frame(self, ocpp::call_error_frame(message_id, error.code, error.description));
}

CsmsCallOutcome outcome_of(CsmsCallResult::Kind kind) {
  switch (kind) {
    case CsmsCallResult::Kind::result: return CsmsCallOutcome::result;
    case CsmsCallResult::Kind::call_error: return CsmsCallOutcome::call_error;
    case CsmsCallResult::Kind::invalid_response: return CsmsCallOutcome::invalid_response;
    case CsmsCallResult::Kind::timeout: return CsmsCallOutcome::timeout;
    case CsmsCallResult::Kind::disconnected: return CsmsCallOutcome::disconnected;
    case CsmsCallResult::Kind::queue_full: return CsmsCallOutcome::queue_full;
  }
  return CsmsCallOutcome::result;
}

void deliver(Self* self, StationState::Queued& queued, CsmsCallResult result) {
  if (auto* metrics = self->state.setup.ctx->metrics) metrics->csms_call(outcome_of(result.kind));
  if (queued.internal) queued.internal(result);
  else if (queued.promise.pending()) queued.promise.deliver(std::move(result));
}

void send_next_call(Self* self) {
  auto& st = self->state;
  if (st.in_flight || st.queue.empty() || st.closed) return;
  StationState::InFlight flight{std::move(st.queue.front()), {}, ++st.sequence};
  st.queue.pop_front();
  flight.message_id = st.id_prefix + std::to_string(flight.sequence);
  send_frame(self, ocpp::call_frame(flight.message_id, flight.queued.call.action, flight.queued.call.payload));
  self->delayed_send(self, st.setup.ctx->settings.call_timeout, timeout_atom::value, flight.sequence);
  st.in_flight = std::move(flight);
}

void finish_call(Self* self, CsmsCallResult result) {
  auto& st = self->state;
  auto flight = std::move(*st.in_flight);
  st.in_flight.reset();
  deliver(self, flight.queued, std::move(result));
  send_next_call(self);
}

/// A CALL from the station: validate, then hand it to the handler of its action.
void on_station_call(Self* self, ocpp::Frame& frame) {
  auto& st = self->state;
  const auto& ctx = *st.setup.ctx;
  const auto version = st.setup.version;
  auto refuse = [&](ocpp::ErrorCode code, std::string description) {
    if (ctx.metrics) ctx.metrics->frame_rejected();
    ctx.station_log->info("{}: refused {} {}: {}", st.setup.station_id, frame.action, frame.message_id, description);
    send_call_error(self, frame.message_id, ocpp::call_error_for(version, code, description));
  };

  auto action = find_action(version, frame.action);
  if (!action) return refuse(ocpp::ErrorCode::not_implemented, "unknown action " + frame.action);
  if (!ocpp::station_may_call(*action->info))
    return refuse(ocpp::ErrorCode::not_supported, frame.action + " is sent by the CSMS, not by a charging station");
  if (st.incoming.count(frame.message_id))
    return refuse(ocpp::ErrorCode::rpc_framework_error, "message id " + frame.message_id + " is already in use");
  if (st.incoming.size() >= ctx.settings.max_incoming_in_flight)
    return refuse(ocpp::ErrorCode::rpc_framework_error, "too many CALLs in flight; OCPP allows one at a time");
  const caf::actor* handler = ctx.router ? ctx.router->find(version, action->index) : nullptr;
  if (!handler) return refuse(ocpp::ErrorCode::not_supported, frame.action + " is not supported by this CSMS yet");

  auto decoded = decode_request(*action, frame.payload, {.tolerant = st.setup.tolerant});
  if (!decoded) {
    if (ctx.metrics) ctx.metrics->frame_rejected();
    ctx.station_log->info("{}: {} {} breaks the schema: {}", st.setup.station_id, frame.action, frame.message_id,
                          decoded.error().message());
    return send_call_error(self, frame.message_id, ocpp::call_error_for(version, decoded.error()));
  }
  for (const auto& tolerated : decoded->tolerated)
    ctx.station_log->warn("{}: tolerated in {}: {}", st.setup.station_id, frame.action, tolerated.message());

  IncomingCall call;
  call.station = caf::actor_cast<caf::actor>(self);
  call.station_id = st.setup.station_id;
  call.version = version;
  call.message_id = frame.message_id;
  call.payload = std::string(frame.payload);
  call.v16 = std::move(decoded->v16);
  call.v201 = std::move(decoded->v201);
  call.received = std::chrono::steady_clock::now();
  st.incoming.emplace(frame.message_id, action->index);
  self->send(*handler, handle_atom::value, std::move(call));
}

/// A CALLRESULT or CALLERROR from the station: the answer to our call in flight, if it matches.
void on_station_answer(Self* self, ocpp::Frame& frame) {
  auto& st = self->state;
  if (!st.in_flight || st.in_flight->message_id != frame.message_id) {
    st.setup.ctx->station_log->warn("{}: dropped an answer to no pending call (id {})", st.setup.station_id,
                                    frame.message_id);
    return;
  }
  CsmsCallResult result;
  if (frame.type == ocpp::MessageType::call_result) {
    auto valid = validate_response(st.in_flight->queued.action, frame.payload, {.tolerant = st.setup.tolerant});
    if (valid) {
      result.kind = CsmsCallResult::Kind::result;
      result.payload = std::string(frame.payload);
    } else {
      result.kind = CsmsCallResult::Kind::invalid_response;
      result.payload = std::string(frame.payload);
      result.error_description = "the station's answer breaks the response schema: " + valid.error().message();
    }
  } else {
    result.kind = CsmsCallResult::Kind::call_error;
    result.error_code = std::move(frame.error_code);
    result.error_description = std::move(frame.error_description);
    result.error_details = std::move(frame.error_details);
  }
  finish_call(self, std::move(result));
}

void on_text(Self* self, const std::string& text) {
  auto& st = self->state;
  const auto& ctx = *st.setup.ctx;
  if (st.setup.last_seen_ms) st.setup.last_seen_ms->store(now_ms(), std::memory_order_relaxed);
  ocpp::FrameOptions options;
  options.max_frame_bytes = ctx.settings.max_frame_bytes;
  options.tolerant = st.setup.tolerant;
  auto frame = ocpp::parse_frame(text, options);
  if (!frame) {
    const auto& error = frame.error();
    if (ctx.metrics) ctx.metrics->frame_rejected();
    ctx.station_log->info("{}: malformed frame: {}: {}", st.setup.station_id, ocpp::describe(error.code), error.detail);
    // Only a CALL (or a frame whose type could not be read) is answered: answering a broken
    // CALLRESULT or CALLERROR is not allowed.
    if (!error.type || *error.type == ocpp::MessageType::call)
      send_call_error(self, error.message_id.value_or("-1"), ocpp::call_error_for(st.setup.version, error));
    return;
  }
  if (frame->type == ocpp::MessageType::call) on_station_call(self, *frame);
  else on_station_answer(self, *frame);
}

void on_reply(Self* self, CallReply& reply) {
  auto& st = self->state;
  auto it = st.incoming.find(reply.message_id);
  if (it == st.incoming.end()) return;  // the connection was replaced meanwhile
  const std::size_t action = it->second;
  st.incoming.erase(it);
  if (reply.ok) {
    send_frame(self, ocpp::call_result_frame(reply.message_id, reply.payload));
  } else {
    send_call_error(self, reply.message_id, ocpp::call_error_for(st.setup.version, reply.error, reply.description));
  }
  if (auto* metrics = st.setup.ctx->metrics)
    metrics->station_call(st.setup.version, action, reply.ok ? MessageOutcome::ok : MessageOutcome::call_error,
                          seconds_since(reply.received));
}

void on_closed(Self* self, const std::string& reason) {
  auto& st = self->state;
  if (st.closed) return;
  st.closed = true;
  st.setup.ctx->station_log->info("{}: disconnected: {}", st.setup.station_id, reason);
  CsmsCallResult gone;
  gone.kind = CsmsCallResult::Kind::disconnected;
  gone.error_description = "the station disconnected: " + reason;
  if (st.in_flight) {
    deliver(self, st.in_flight->queued, gone);
    st.in_flight.reset();
  }
  for (auto& queued : st.queue) deliver(self, queued, gone);
  st.queue.clear();
  if (auto* directory = st.setup.ctx->directory) directory->detach(st.setup.station_id, caf::actor_cast<caf::actor>(self));
  // The last-seen time is kept in memory while connected and stored when the connection ends.
  if (auto* committer = st.setup.ctx->committer) {
    const auto seen = st.setup.last_seen_ms ? st.setup.last_seen_ms->load() : now_ms();
    committer->submit(
        [id = st.setup.station_id, seen](storage::WriteTxn& txn) {
          txn.put(storage::Table::station_runtime, runtime_key(id, RuntimeField::seen),
                  "{\"lastSeen\":\"" + ocpp::DateTime::from_unix_ms(seen).to_string() + "\"}");
        },
        [](const std::string&) {});
  }
  self->quit();
}

/// Sends the settings still pending for this station (after its BootNotification, or when the
/// API changed them while it was connected) and stores the station's answer per key.
void push_settings(Self* self) {
  auto& st = self->state;
  const auto ctx = st.setup.ctx;
  if (!ctx->store || st.closed) return;
  auto pending = pending_settings(ctx->store->read(), st.setup.station_id);
  if (pending.empty()) return;
  std::unordered_map<std::string, std::string> values;
  for (const auto& p : pending) values.emplace(p.key, p.value);
  for (auto& call : settings_calls(st.setup.version, pending)) {
    auto action = find_action(st.setup.version, call.call.action);
    if (!action) continue;
    auto sent = std::make_shared<SettingsCall>(call);
    auto on_result = [ctx, station = st.setup.station_id, version = st.setup.version, sent,
                      values](const CsmsCallResult& result) {
      auto outcome = settings_outcome(version, *sent, result);
      if (outcome.empty()) {
        ctx->station_log->warn("{}: settings not applied ({}); they stay pending", station, result.error_description);
        return;
      }
      ctx->committer->submit(
          [station, values, outcome](storage::WriteTxn& txn) {
            for (const auto& [key, status] : outcome) {
              auto it = values.find(key);
              txn.put(storage::Table::settings, setting_key(station, key),
                      setting_record(it == values.end() ? "" : it->second, status));
            }
          },
          [](const std::string&) {});
    };
    st.queue.push_back({std::move(call.call), *action, {}, std::move(on_result)});
  }
  send_next_call(self);
}

std::string random_prefix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(6, '0');
  for (auto& c : out) c = kDigits[rng() % 36];
  return out + "-";
}

}  // namespace

caf::behavior station_actor(Self* self, StationSetup setup) {
  self->state.setup = std::move(setup);
  self->state.id_prefix = random_prefix();
  return {
      [self](text_atom, const std::string& text) {
        on_text(self, text);
        if (auto connection = self->state.setup.connection.lock()) connection->consumed();
      },
      [self](reply_atom, CallReply& reply) { on_reply(self, reply); },
      [self](csms_call_atom, CsmsCall& call) {
        auto& st = self->state;
        auto promise = self->make_response_promise();
        CsmsCallResult refused;
        auto action = find_action(st.setup.version, call.action);
        if (!action) {
          refused.kind = CsmsCallResult::Kind::call_error;
          refused.error_code = "NotImplemented";
          refused.error_description = "unknown action " + call.action;
          promise.deliver(std::move(refused));
          return;
        }
        if (st.closed) {
          refused.kind = CsmsCallResult::Kind::disconnected;
          refused.error_description = "the station is not connected";
          promise.deliver(std::move(refused));
          return;
        }
        if (st.queue.size() >= st.setup.ctx->settings.max_queued_calls) {
          refused.kind = CsmsCallResult::Kind::queue_full;
          refused.error_description = "too many calls waiting for this station";
          if (auto* metrics = st.setup.ctx->metrics) metrics->csms_call(CsmsCallOutcome::queue_full);
          promise.deliver(std::move(refused));
          return;
        }
        st.queue.push_back({std::move(call), *action, std::move(promise), {}});
        send_next_call(self);
      },
      [self](timeout_atom, std::uint64_t sequence) {
        auto& st = self->state;
        if (!st.in_flight || st.in_flight->sequence != sequence) return;
        CsmsCallResult result;
        result.kind = CsmsCallResult::Kind::timeout;
        result.error_description = "no answer from the station within " +
                                   std::to_string(st.setup.ctx->settings.call_timeout.count()) + " s";
        st.setup.ctx->station_log->warn("{}: {} {} timed out", st.setup.station_id, st.in_flight->queued.call.action,
                                        st.in_flight->message_id);
        finish_call(self, std::move(result));
      },
      [self](replace_atom) {
        if (auto connection = self->state.setup.connection.lock())
          connection->close(1000, "replaced by a newer connection of the same station");
      },
      [self](kick_atom, const std::string& reason) {
        if (auto connection = self->state.setup.connection.lock()) connection->close(1008, reason);
      },
      [self](closed_atom, const std::string& reason) { on_closed(self, reason); },
      [self](push_atom) {
        push_settings(self);
        // Certificates waiting for this station (signed while it was away, roots to install).
        if (const auto* security = self->state.setup.ctx->router ? self->state.setup.ctx->router->service(Router::Service::security) : nullptr)
          caf::anon_send(*security, booted_atom::value, self->state.setup.station_id);
      },
  };
}

void StationSession::on_text(std::string text) { caf::anon_send(actor_, text_atom::value, std::move(text)); }

void StationSession::on_closed(const std::string& reason) { caf::anon_send(actor_, closed_atom::value, reason); }

}  // namespace evbroker::actors
