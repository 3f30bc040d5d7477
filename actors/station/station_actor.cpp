#include "actors/station/station_actor.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "actors/station/boot_provisioning.hpp"
#include "actors/station/local_list_sync.hpp"
#include "actors/station/csms_call.hpp"
#include "actors/core/log_throttle.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/router.hpp"
#include "actors/station/settings.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/runtime_keys.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"

namespace evbroker::actors {
namespace {

using Self = StationActor::stateful_base<StationState>;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// To the connection as parts: a websocket writes the frame, a station on another node gets them
/// published as they are.
void send_message(Self* self, ocpp::Envelope message) {
  if (auto connection = self->state.setup.connection.lock()) connection->send_message(std::move(message));
}

void send_call_error(Self* self, std::string_view message_id, const ocpp::CallError& error) {
  send_message(self, ocpp::call_error_message(std::string(message_id), std::string(error.code), error.description));
}

CsmsCallOutcome outcome_of(CsmsCallResult::Kind kind) {
  switch (kind) {
    case CsmsCallResult::Kind::result: return CsmsCallOutcome::result;
    case CsmsCallResult::Kind::call_error: return CsmsCallOutcome::call_error;
    case CsmsCallResult::Kind::invalid_response: return CsmsCallOutcome::invalid_response;
    case CsmsCallResult::Kind::timeout: return CsmsCallOutcome::timeout;
    case CsmsCallResult::Kind::disconnected: return CsmsCallOutcome::disconnected;
    case CsmsCallResult::Kind::queue_full: return CsmsCallOutcome::queue_full;
    case CsmsCallResult::Kind::not_sent: return CsmsCallOutcome::not_sent;
    case CsmsCallResult::Kind::not_allowed: return CsmsCallOutcome::not_allowed;
    case CsmsCallResult::Kind::unknown: return CsmsCallOutcome::unknown;
  }
  return CsmsCallOutcome::result;
}

void deliver(Self* self, StationState::Queued& queued, CsmsCallResult result) {
  if (auto* metrics = self->state.setup.ctx->metrics) metrics->csms_call(outcome_of(result.kind));
  if (queued.internal)
    queued.internal(result);
  else if (queued.promise.pending())
    queued.promise.deliver(std::move(result));
}

CsmsCallResult not_sent(std::string why) {
  CsmsCallResult result;
  result.kind = CsmsCallResult::Kind::not_sent;
  result.error_description = "not sent: " + std::move(why);
  return result;
}

/// Takes the call out of the queue and reports it not sent, if it is still there (it has not gone
/// out). False when it is not queued (sent, answered, or never seen).
bool withdraw(Self* self, std::uint64_t ticket, std::string_view why) {
  if (ticket == 0) return false;  // the node's own calls (settings) have none and are never withdrawn
  auto& queue = self->state.queue;
  for (auto it = queue.begin(); it != queue.end(); ++it) {
    if (it->call.ticket != ticket) continue;
    const auto ahead = static_cast<std::size_t>(it - queue.begin()) + (self->state.in_flight ? 1 : 0);
    const auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - it->queued_at);
    auto queued = std::move(*it);
    queue.erase(it);
    deliver(self, queued,
            not_sent(std::string(why) + " after waiting " + std::to_string(waited.count()) + " s behind " +
                     std::to_string(ahead) + (ahead == 1 ? " earlier call" : " earlier calls") +
                     " to this station; it will not be sent"));
    return true;
  }
  return false;
}

CsmsCallResult not_allowed(std::string why) {
  CsmsCallResult result;
  result.kind = CsmsCallResult::Kind::not_allowed;
  result.error_description = "not sent: " + std::move(why);
  return result;
}

void send_next_call(Self* self) {
  auto& st = self->state;
  // What was allowed when it was queued may not be now (the station booted again meanwhile).
  while (!st.in_flight && !st.queue.empty() && !st.closed) {
    const auto& next = st.queue.front().call;
    auto why = st.registration.refuse_outgoing(next.action, next.request);
    if (!why) break;
    auto refused = std::move(st.queue.front());
    st.queue.pop_front();
    deliver(self, refused, not_allowed(std::move(*why)));
  }
  if (st.in_flight || st.queue.empty() || st.closed) return;
  StationState::InFlight flight{std::move(st.queue.front()), {}, ++st.sequence};
  st.queue.pop_front();
  st.registration.sent(flight.queued.call.request);
  flight.message_id = st.id_prefix + std::to_string(flight.sequence);
  const auto& call = flight.queued.call;
  send_message(
      self, ocpp::call_message(flight.message_id, std::string(call.action.name()), ocpp::encode_request(call.request)));
  self->delayed_send(self, st.setup.ctx->settings.call_timeout, timeout_atom::value, flight.sequence);
  st.in_flight = std::move(flight);
}

void finish_call(Self* self, CsmsCallResult result) {
  auto& st = self->state;
  auto flight = std::move(*st.in_flight);
  st.in_flight.reset();
  result.sent = true;
  deliver(self, flight.queued, std::move(result));
  send_next_call(self);
}

/// How a payload of this station is decoded. The payload is level 2 of its frame, whose depth is
/// what the limit counts: it may nest one level less.
ocpp::DecodeOptions payload_options(const StationState& st) {
  const auto frame_depth = st.setup.ctx->settings.max_json_depth;
  return {.tolerant = st.setup.tolerant, .max_depth = frame_depth == 0 ? 0 : frame_depth - 1};
}

/// A CALL from the station: validate, then hand it to the handler of its action.
void on_station_call(Self* self, ocpp::Frame& frame) {
  auto& st = self->state;
  const auto& ctx = *st.setup.ctx;
  const auto version = st.setup.version;
  auto refuse = [&](ocpp::ErrorCode code, std::string description) {
    if (ctx.metrics) ctx.metrics->frame_rejected();
    if (std::uint64_t held_back = 0; st.refusal_log.may_log(std::chrono::steady_clock::now(), held_back))
      ctx.station_log->info("{}: refused {} {}: {}{}", st.setup.station_id, frame.action, frame.message_id, description,
                            held_back_note(held_back));
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
  // B02.FR.09, B03.FR.07: a station not accepted sends only what its registration allows.
  if (auto why = st.registration.refuse_incoming(frame.action)) return refuse(ocpp::ErrorCode::security_error, *why);
  const BlockActor* handler = ctx.router ? ctx.router->find(version, action->index) : nullptr;
  if (!handler) return refuse(ocpp::ErrorCode::not_supported, frame.action + " is not supported by this CSMS yet");

  auto decoded = decode_request(*action, frame.payload, payload_options(st));
  if (!decoded) {
    if (ctx.metrics) ctx.metrics->frame_rejected();
    if (std::uint64_t held_back = 0; st.refusal_log.may_log(std::chrono::steady_clock::now(), held_back))
      ctx.station_log->info("{}: {} {} breaks the schema: {}{}", st.setup.station_id, frame.action, frame.message_id,
                            decoded.error().message(), held_back_note(held_back));
    return send_call_error(self, frame.message_id, ocpp::call_error_for(version, decoded.error()));
  }
  for (const auto& tolerated : decoded->tolerated)
    if (std::uint64_t held_back = 0; st.tolerated_log.may_log(std::chrono::steady_clock::now(), held_back))
      ctx.station_log->warn("{}: tolerated in {}: {}{}", st.setup.station_id, frame.action, tolerated.message(),
                            held_back_note(held_back));

  IncomingCall call;
  call.station = caf::actor_cast<StationActor>(self);
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
    if (auto* metrics = st.setup.ctx->metrics) metrics->frame_rejected();
    if (std::uint64_t held_back = 0; st.refusal_log.may_log(std::chrono::steady_clock::now(), held_back))
      st.setup.ctx->station_log->warn("{}: dropped an answer to no pending call (id {}){}", st.setup.station_id,
                                      frame.message_id, held_back_note(held_back));
    return;
  }
  CsmsCallResult result;
  if (frame.type == ocpp::MessageType::call_result) {
    auto decoded = decode_response(st.in_flight->queued.call.action, frame.payload, payload_options(st));
    result.payload = std::string(frame.payload);
    if (decoded) {
      result.kind = CsmsCallResult::Kind::result;
      result.response = std::move(*decoded);
    } else {
      result.kind = CsmsCallResult::Kind::invalid_response;
      result.error_description = "the station's answer breaks the response schema: " + decoded.error().message();
    }
  } else {
    result.kind = CsmsCallResult::Kind::call_error;
    result.error_code = std::move(frame.error_code);
    result.error_description = std::move(frame.error_description);
    result.error_details = std::move(frame.error_details);
  }
  finish_call(self, std::move(result));
}

/// A frame that could not be read (or is too large): only a CALL, or a frame whose type could not
/// be read, is answered; answering a broken CALLRESULT or CALLERROR is not allowed.
void on_malformed(Self* self, const ocpp::FrameError& error) {
  auto& st = self->state;
  const auto& ctx = *st.setup.ctx;
  if (ctx.metrics) ctx.metrics->frame_rejected();
  if (std::uint64_t held_back = 0; st.refusal_log.may_log(std::chrono::steady_clock::now(), held_back))
    ctx.station_log->info("{}: malformed frame: {}: {}{}", st.setup.station_id, ocpp::describe(error.code),
                          error.detail, held_back_note(held_back));
  if (!error.type || *error.type == ocpp::MessageType::call)
    send_call_error(self, error.message_id.value_or("-1"), ocpp::call_error_for(st.setup.version, error));
}

void on_frame(Self* self, ocpp::Frame& frame) {
  if (frame.type == ocpp::MessageType::call)
    on_station_call(self, frame);
  else
    on_station_answer(self, frame);
}

void note_seen(Self* self) {
  auto& st = self->state;
  if (st.setup.last_seen_ms) st.setup.last_seen_ms->store(st.setup.ctx->clock->now_ms(), std::memory_order_relaxed);
}

/// A frame from a websocket.
void on_text(Self* self, const std::string& text) {
  auto& st = self->state;
  const auto& ctx = *st.setup.ctx;
  note_seen(self);
  ocpp::FrameOptions options;
  options.max_frame_bytes = ctx.settings.max_frame_bytes;
  options.max_depth = ctx.settings.max_json_depth;
  options.tolerant = st.setup.tolerant;
  auto frame = ocpp::parse_frame(text, options);
  if (!frame) return on_malformed(self, frame.error());
  on_frame(self, *frame);
}

/// A message of a station on another node, from the manager's bridge: decoded from its envelope
/// there (structure and depth checked), read here as a parsed frame. The frame size limit holds
/// as for a local socket.
void on_message(Self* self, const ocpp::Envelope& message) {
  const auto& ctx = *self->state.setup.ctx;
  note_seen(self);
  const auto size = message.id.size() + message.action.size() + message.request.size() + message.response.size() +
                    message.error_code.size() + message.error_description.size() + message.error_details.size();
  if (ctx.settings.max_frame_bytes != 0 && size > ctx.settings.max_frame_bytes) {
    return on_malformed(self, ocpp::FrameError{ocpp::FrameErrc::too_large,
                                               "the message's parts hold " + std::to_string(size) +
                                                   " bytes, more than the frame limit of " +
                                                   std::to_string(ctx.settings.max_frame_bytes),
                                               message.id, message.type});
  }
  auto frame = ocpp::frame_view(message);
  on_frame(self, frame);
}

void after_boot(Self* self, Registration status);

void on_reply(Self* self, CallReply& reply) {
  auto& st = self->state;
  auto it = st.incoming.find(reply.message_id);
  if (it == st.incoming.end()) return;  // the connection was replaced meanwhile
  const std::size_t action = it->second;
  st.incoming.erase(it);
  if (reply.ok) {
    send_message(self, ocpp::call_result_message(reply.message_id, std::move(reply.payload)));
  } else {
    send_call_error(self, reply.message_id, ocpp::call_error_for(st.setup.version, reply.error, reply.description));
  }
  if (auto* metrics = st.setup.ctx->metrics)
    metrics->station_call(st.setup.version, action, reply.ok ? MessageOutcome::ok : MessageOutcome::call_error,
                          seconds_since(reply.received));
  if (reply.ok && reply.registration) after_boot(self, *reply.registration);
}

void on_closed(Self* self, const std::string& reason) {
  auto& st = self->state;
  if (st.closed) return;
  st.closed = true;
  st.setup.ctx->station_log->info("{}: disconnected: {}", st.setup.station_id, reason);
  CsmsCallResult gone;
  gone.kind = CsmsCallResult::Kind::disconnected;
  if (st.in_flight) {
    gone.sent = true;
    gone.error_description = "sent, but the station disconnected before answering: " + reason;
    deliver(self, st.in_flight->queued, gone);
    st.in_flight.reset();
  }
  gone.sent = false;
  gone.error_description = "not sent: the station disconnected first: " + reason;
  for (auto& queued : st.queue) deliver(self, queued, gone);
  st.queue.clear();
  if (auto* directory = st.setup.ctx->directory)
    directory->detach(st.setup.station_id, caf::actor_cast<StationActor>(self));
  // The last-seen time is kept in memory while connected and stored when the connection ends.
  if (auto* committer = st.setup.ctx->committer) {
    const auto seen = st.setup.last_seen_ms ? st.setup.last_seen_ms->load() : st.setup.ctx->clock->now_ms();
    committer->submit(
        [id = st.setup.station_id, seen](storage::WriteTxn& txn) {
          txn.put(storage::Table::station_runtime, runtime_key(id, RuntimeField::seen),
                  to_json(LastSeenRecord{.last_seen_ms = seen}));
        },
        [](const std::string&) {});
  }
  self->quit();
}

// ---- settings --------------------------------------------------------------------------------
// Pending settings are a set in the store (one entry per key, the latest value wins). A push is a
// round of calls computed from that set, sent one at a time behind any other call; a push asked
// for while a round runs (another reconfigure) only marks the round to start over once it is done,
// so asking N times never sends more than the keys that are pending. A failed call (timeout, the
// station gone) ends the round: its keys stay pending for the next boot or reconfigure.

void send_next_settings_call(Self* self);

void start_settings_round(Self* self) {
  auto& st = self->state;
  const auto ctx = st.setup.ctx;
  st.settings_again = false;
  auto reader = ctx->store->read();
  auto pending = pending_settings(reader, st.setup.station_id);
  std::erase_if(pending, [&](const PendingSetting& s) { return st.held_settings.count(s.key) != 0; });
  if (pending.empty()) return;
  st.settings_round.emplace();
  st.settings_round->calls =
      settings_calls(st.setup.version, pending, settings_batch_limits(reader, st.setup.station_id));
  send_next_settings_call(self);
}

/// Sends the settings still pending for this station (after its BootNotification, or when the
/// API changed them while it was connected) and stores the station's answer per key.
void push_settings(Self* self) {
  auto& st = self->state;
  if (!st.setup.ctx->store || st.closed) return;
  // Settings prepare a station that is accepted or pending (B02), never one rejected or not booted.
  const auto registration = st.registration.effective();
  if (!registration || *registration == Registration::rejected) return;
  if (st.settings_round) {
    st.settings_again = true;
    return;
  }
  start_settings_round(self);
}

void send_next_settings_call(Self* self) {
  auto& st = self->state;
  if (!st.settings_round || st.closed) return;
  auto& round = *st.settings_round;
  round.out.reset();
  // The round was computed when it started: what was cancelled, answered or changed since is
  // dropped from each call when its turn comes (still_pending reads the store again).
  std::shared_ptr<SettingsCall> sent;
  while (!sent && round.next < round.calls.size()) {
    auto call = std::move(round.calls[round.next++]);
    auto left = still_pending(st.setup.ctx->store->read(), st.setup.station_id, call, st.held_settings);
    if (left.empty()) continue;
    if (left.size() != call.keys.size()) {
      // A part of a call that fitted the station's limits fits them too: one call.
      auto rebuilt = settings_calls(st.setup.version, left, SettingsBatchLimits{.items = left.size(), .bytes = 0});
      if (rebuilt.empty()) continue;
      call = std::move(rebuilt.front());
    }
    sent = std::make_shared<SettingsCall>(std::move(call));
  }
  if (!sent) {
    st.settings_round.reset();
    if (st.settings_again) start_settings_round(self);
    return;
  }
  round.out = sent;
  auto on_result = [self, ctx = st.setup.ctx, station = st.setup.station_id, version = st.setup.version,
                    sent](const CsmsCallResult& result) {
    auto outcome = settings_outcome(version, *sent, result);
    if (outcome.empty()) {
      ctx->station_log->warn("{}: settings not applied ({}); they stay pending until its next boot or reconfigure",
                             station, result.error_description);
      self->state.settings_round.reset();
      self->state.settings_again = false;
      return;
    }
    ctx->committer->submit([station, sent, outcome, at = ctx->clock->now_ms()](
                               storage::WriteTxn& txn) { store_settings_outcome(txn, station, *sent, outcome, at); },
                           [me = caf::actor_cast<StationActor>(self)](const std::string&) {
                             caf::anon_send(me, settings_next_atom::value);
                           });
  };
  st.queue.push_back({sent->call, {}, std::move(on_result), std::chrono::steady_clock::now()});
  send_next_call(self);
}

/// The API is cancelling the pending setting `key` (api_station_pending.cpp): unless the call out
/// carries it, no push sends it until release_atom (the delete is committed by then). Answers ""
/// when held, else what is out.
std::string hold_setting(Self* self, const std::string& key) {
  auto& st = self->state;
  if (st.settings_round && st.settings_round->out) {
    const auto& keys = st.settings_round->out->keys;
    if (std::find(keys.begin(), keys.end(), key) != keys.end())
      return "setting " + key + " is being sent to the station now (" +
             std::string(st.settings_round->out->call.action.name()) + " of " + std::to_string(keys.size()) +
             " setting(s)); its answer decides it";
  }
  st.held_settings.insert(key);
  return {};
}

// ---- registration (registration.hpp) -------------------------------------------------------------

/// Queues TriggerMessage BootNotification: the station was told Pending or Rejected and should hear
/// what the operator decided since.
void trigger_boot(Self* self) {
  auto& st = self->state;
  ocpp16::TriggerMessageRequest v16;
  v16.requestedMessage = ocpp16::MessageTrigger::BootNotification;
  ocpp201::TriggerMessageRequest v201;
  v201.requestedMessage = ocpp201::MessageTriggerEnumType::BootNotification;
  auto call = st.setup.version == ocpp::Version::v16 ? CsmsCall::of(v16) : CsmsCall::of(v201);
  auto on_result = [ctx = st.setup.ctx, station = st.setup.station_id](const CsmsCallResult& result) {
    if (result.kind == CsmsCallResult::Kind::result)
      ctx->station_log->info("{}: TriggerMessage BootNotification answered {}", station, result.payload);
    else
      ctx->station_log->warn("{}: TriggerMessage BootNotification failed: {}", station, result.error_description);
  };
  st.queue.push_back({std::move(call), {}, std::move(on_result), std::chrono::steady_clock::now()});
  send_next_call(self);
}

/// A BootNotification was answered `status`: the gate opens as far as it allows, and what waits for
/// the station goes out (settings when accepted or pending, certificates once accepted).
void after_boot(Self* self, Registration status) {
  auto& st = self->state;
  st.registration.answered_boot(status);
  push_settings(self);
  if (status == Registration::rejected) return;
  // The first boot of a station whose registration asks for it: read what it has (a pending station
  // too: that is what Pending is for, B02).
  if (st.setup.boot_provisioning && !st.setup.provisioned) {
    st.setup.provisioned = true;
    start_boot_provisioning(self->home_system(), st.setup.ctx, st.setup.station_id, caf::actor_cast<StationActor>(self),
                            st.setup.version);
  }
  if (status != Registration::accepted) return;
  // Its local authorization list: its version checked, what changed while it was away sent.
  if (auto* lists = st.setup.ctx->local_lists)
    lists->request(self->home_system(), st.setup.ctx, st.setup.station_id, LocalListSyncs::Kind::boot);
  // Certificates waiting for this station (signed while it was away, roots to install).
  if (const auto* router = st.setup.ctx->router; router && router->security())
    caf::anon_send(router->security(), booted_atom::value, st.setup.station_id);
}

/// The operator changed the station's registration while it is connected; answers what follows.
std::string registration_changed(Self* self, Registration status) {
  auto& st = self->state;
  st.registration.decide(status);
  if (st.registration.needs_boot_trigger()) {
    trigger_boot(self);
    return "TriggerMessage BootNotification sent: the station hears its new status when it boots";
  }
  if (st.registration.accepted_session_revoked())
    return "the station was told Accepted: from now on only its BootNotification is answered, and it hears its "
           "new status at its next boot (send Reset to make it boot now)";
  return "";
}

std::string random_prefix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(6, '0');
  for (auto& c : out) c = kDigits[rng() % 36];
  return out + "-";
}

}  // namespace

StationActor::behavior_type station_actor(Self* self, StationSetup setup) {
  self->state.setup = std::move(setup);
  self->state.id_prefix = random_prefix();
  self->state.registration = RegistrationGate::at_connect(self->state.setup.registration, self->state.setup.told);
  // Accepted while it was away after being told Pending or Rejected: it learns so by booting again.
  if (self->state.registration.needs_boot_trigger()) trigger_boot(self);
  return {
      [self](text_atom, const std::string& text) {
        on_text(self, text);
        if (auto connection = self->state.setup.connection.lock()) connection->consumed();
      },
      [self](message_atom, const ocpp::Envelope& message) { on_message(self, message); },
      [self](reply_atom, CallReply& reply) { on_reply(self, reply); },
      [self](csms_call_atom, CsmsCall& call) {
        auto& st = self->state;
        auto promise = self->make_response_promise<CsmsCallResult>();
        CsmsCallResult refused;
        const bool typed_for_station =
            st.setup.version == ocpp::Version::v16 ? call.request.v16 != nullptr : call.request.v201 != nullptr;
        if (call.action.info == nullptr || call.action.version != st.setup.version || !typed_for_station) {
          // A sender's mistake, never the station's: the call is typed for another version.
          refused.kind = CsmsCallResult::Kind::not_sent;
          refused.error_description =
              "not sent: not a call of the station's version " + std::string(ocpp::subprotocol(st.setup.version));
          return promise.deliver(std::move(refused));
        }
        if (st.closed) {
          refused.kind = CsmsCallResult::Kind::disconnected;
          refused.error_description = "the station is not connected";
          return promise.deliver(std::move(refused));
        }
        if (auto why = st.registration.refuse_outgoing(call.action, call.request)) {
          if (auto* metrics = st.setup.ctx->metrics) metrics->csms_call(CsmsCallOutcome::not_allowed);
          return promise.deliver(not_allowed(std::move(*why)));
        }
        if (st.queue.size() >= st.setup.ctx->settings.max_queued_calls) {
          refused.kind = CsmsCallResult::Kind::queue_full;
          refused.error_description =
              "not sent: " + std::to_string(st.queue.size()) + " calls are already waiting for this station";
          if (auto* metrics = st.setup.ctx->metrics) metrics->csms_call(CsmsCallOutcome::queue_full);
          return promise.deliver(std::move(refused));
        }
        if (auto& gone = st.withdrawn;
            call.ticket != 0 && std::find(gone.begin(), gone.end(), call.ticket) != gone.end()) {
          refused.kind = CsmsCallResult::Kind::not_sent;
          refused.error_description = "not sent: withdrawn by its caller";
          return promise.deliver(std::move(refused));
        }
        const auto now = std::chrono::steady_clock::now();
        if (call.ticket == 0) call.ticket = next_call_ticket();
        const auto send_by = call.send_by.value_or(now + st.setup.ctx->settings.call_timeout);
        const auto ticket = call.ticket;
        st.queue.push_back({std::move(call), std::move(promise), {}, now});
        send_next_call(self);
        // Still waiting behind another call: it goes out by send_by or not at all.
        if (!st.queue.empty() && st.queue.back().call.ticket == ticket)
          self->delayed_send(self, std::max(send_by - now, std::chrono::steady_clock::duration::zero()),
                             expire_atom::value, ticket);
        return promise;  // moved into the queue, which answers; returned, it tells CAF the answer comes later
      },
      [self](expire_atom, std::uint64_t ticket) { withdraw(self, ticket, "the station was busy: withdrawn"); },
      [self](withdraw_atom, std::uint64_t ticket) {
        // A withdrawal may overtake its call on the way here: remembered, the call is refused when
        // it arrives.
        if (!withdraw(self, ticket, "withdrawn by its caller") && ticket != 0) {
          auto& gone = self->state.withdrawn;
          gone.push_back(ticket);
          if (gone.size() > StationState::kWithdrawnKept) gone.pop_front();
        }
      },
      [self](timeout_atom, std::uint64_t sequence) {
        auto& st = self->state;
        if (!st.in_flight || st.in_flight->sequence != sequence) return;
        CsmsCallResult result;
        result.kind = CsmsCallResult::Kind::timeout;
        result.error_description = "sent, but no answer from the station within " +
                                   std::to_string(st.setup.ctx->settings.call_timeout.count()) + " s";
        st.setup.ctx->station_log->warn("{}: {} {} timed out", st.setup.station_id,
                                        st.in_flight->queued.call.action.name(), st.in_flight->message_id);
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
      [self](settings_next_atom) { send_next_settings_call(self); },
      [self](hold_atom, const std::string& key) { return hold_setting(self, key); },
      [self](release_atom, const std::string& key) { self->state.held_settings.erase(key); },
      [self](push_atom) { push_settings(self); },
      [self](registration_atom, Registration status) { return registration_changed(self, status); },
  };
}

void StationSession::on_text(std::string text) { caf::anon_send(actor_, text_atom::value, std::move(text)); }

void StationSession::on_closed(const std::string& reason) { caf::anon_send(actor_, closed_atom::value, reason); }

}  // namespace evbroker::actors
