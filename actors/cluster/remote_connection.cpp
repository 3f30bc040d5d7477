#include "actors/cluster/remote_connection.hpp"

#include <spdlog/spdlog.h>

#include "protocol/frame.hpp"
#include "protocol/mqtt_envelope.hpp"

namespace evbroker::actors {
namespace {

/// Station CALLs the actor has not answered yet; it allows a few per station, so more means
/// answers were lost (the actor was replaced): forget them rather than grow.
constexpr std::size_t kMaxStationCalls = 64;

}  // namespace

RemoteConnection::RemoteConnection(RemoteSession session, std::string prefix, MqttPublisher publish,
                                   std::shared_ptr<spdlog::logger> log)
    : session_(std::move(session)),
      prefix_(std::move(prefix)),
      out_topic_(ocpp::station_topic(prefix_, ocpp::TopicKind::out, session_.version, session_.station_id)),
      publish_(std::move(publish)),
      log_(std::move(log)) {}

void RemoteConnection::note_station_call(const std::string& message_id, const std::string& action,
                                         std::string correlation) {
  std::lock_guard lock(mutex_);
  if (station_calls_.size() >= kMaxStationCalls) station_calls_.clear();
  station_calls_[message_id] = {action, std::move(correlation)};
}

void RemoteConnection::detach() {
  std::lock_guard lock(mutex_);
  detached_ = true;
}

void RemoteConnection::send_text(std::string text) {
  // The station actor sends messages as parts (send_message); a frame given as text is read first.
  auto frame = ocpp::parse_frame(text);
  if (!frame) {
    log_->error("{}: cannot pass on a frame of our own: {}", session_.station_id, frame.error().detail);
    return;
  }
  send_message(ocpp::envelope_of(std::move(*frame)));
}

void RemoteConnection::send_message(ocpp::Envelope envelope) {
  std::string correlation;
  if (envelope.type == ocpp::MessageType::call) {
    correlation = new_traceparent();
  } else {
    // An answer: MaEVe's envelope names the action it answers; the caller's trace goes back.
    std::lock_guard lock(mutex_);
    auto it = station_calls_.find(envelope.id);
    if (it != station_calls_.end()) {
      envelope.action = std::move(it->second.action);
      correlation = std::move(it->second.correlation);
      station_calls_.erase(it);
    }
  }
  transport::MqttPublish message;
  message.topic = out_topic_;
  message.payload = ocpp::encode_envelope(envelope);
  message.qos = envelope.type == ocpp::MessageType::call ? kQosReliable : kQosRepeatable;
  message.content_type = kEnvelopeContentType;
  message.response_topic = ocpp::station_topic(prefix_, ocpp::TopicKind::in, session_.version, session_.station_id);
  message.correlation_data = std::move(correlation);
  if (!publish_(std::move(message))) {
    // A CSMS call then times out and its caller hears so; an unsent answer makes the station time
    // out and retry, and the handlers are idempotent for the retry.
    log_->warn("{}: {} {} not sent: broker unreachable", session_.station_id,
               envelope.action.empty() ? "answer" : envelope.action, envelope.id);
  }
}

void RemoteConnection::close(std::uint16_t code, std::string reason) {
  {
    std::lock_guard lock(mutex_);
    if (detached_) return;
  }
  ocpp::ControlCommand command;
  command.code = code;
  command.reason = std::move(reason);
  command.session = session_.session;
  transport::MqttPublish message;
  message.topic = ocpp::control_topic(prefix_, session_.station_id);
  message.payload = ocpp::encode_control_command(command);
  message.qos = kQosReliable;
  message.content_type = kEnvelopeContentType;
  if (!publish_(std::move(message)))
    log_->warn("{}: could not ask the gateway to close the connection: broker unreachable", session_.station_id);
}

}  // namespace evbroker::actors
