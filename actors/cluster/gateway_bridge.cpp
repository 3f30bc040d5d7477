#include "actors/cluster/gateway_bridge.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/core/log_throttle.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"
#include "protocol/mqtt_envelope.hpp"

namespace evbroker::actors {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A CSMS call that went to the station and waits for its answer.
struct PendingCall {
  std::string action;
  std::string request;
  std::string correlation;
};

/// A station may have this many CSMS calls waiting for an answer. OCPP allows one; the manager
/// sends one at a time, so more means a manager restarted mid-call: the oldest are forgotten.
constexpr std::size_t kMaxPendingCalls = 16;
/// Connection events kept while the broker is away (a storm of disconnects during an outage).
constexpr std::size_t kMaxUnsentEvents = 200000;

}  // namespace

struct GatewayBridge::Link {
  std::weak_ptr<transport::Connection> connection;
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string session;
  std::string remote_address;
  std::int64_t connected_at_ms = 0;
  bool tolerant = false;
  std::mutex mutex;  // guards pending (station answers on an I/O thread, calls on Paho's thread)
  std::deque<std::pair<std::string, PendingCall>> pending;  // message id -> call, oldest first
  LogThrottle refusal_log;                                  // on the connection's strand only (from_station)

  void send(std::string frame) {
    if (auto c = connection.lock()) c->send_text(std::move(frame));
  }
};

namespace {

class GatewaySession : public transport::ConnectionHandler {
 public:
  GatewaySession(std::weak_ptr<GatewayBridge> bridge, std::shared_ptr<GatewayBridge::Link> link)
      : bridge_(std::move(bridge)), link_(std::move(link)) {}
  void on_text(std::string text) override {
    if (auto bridge = bridge_.lock()) bridge->from_station(link_, std::move(text));
    if (auto c = link_->connection.lock()) c->consumed();
  }
  void on_closed(const std::string& reason) override {
    if (auto bridge = bridge_.lock()) bridge->closed(link_, reason);
  }

 private:
  std::weak_ptr<GatewayBridge> bridge_;
  std::shared_ptr<GatewayBridge::Link> link_;
};

}  // namespace

GatewayBridge::GatewayBridge(ClusterSettings settings, MqttPublisher publish, std::shared_ptr<spdlog::logger> log,
                             std::size_t max_frame_bytes)
    : settings_(std::move(settings)),
      publish_(std::move(publish)),
      log_(std::move(log)),
      max_frame_bytes_(max_frame_bytes) {}

std::shared_ptr<transport::ConnectionHandler> GatewayBridge::open(std::shared_ptr<transport::Connection> connection,
                                                                  const std::string& station_id,
                                                                  const std::string& subprotocol, bool tolerant) {
  auto link = std::make_shared<Link>();
  link->connection = connection;
  link->station_id = station_id;
  link->version = ocpp::version_from_subprotocol(subprotocol).value_or(ocpp::Version::v201);
  link->session = settings_.node_id + "/" + std::to_string(++sessions_);
  link->remote_address = connection->remote_address();
  link->connected_at_ms = wall_ms();
  link->tolerant = tolerant;

  std::shared_ptr<Link> previous;
  {
    std::lock_guard lock(mutex_);
    auto& slot = links_[station_id];
    previous = std::exchange(slot, link);
  }
  if (previous) {
    log_->info("{}: a new connection replaces the one from {}", station_id, previous->remote_address);
    if (auto c = previous->connection.lock()) c->close(1000, "replaced by a newer connection of the same station");
  }
  log_->info("{}: connected with {} from {} (session {})", station_id, subprotocol, link->remote_address,
             link->session);
  publish_event(*link, true, "");
  return std::make_shared<GatewaySession>(weak_from_this(), std::move(link));
}

bool GatewayBridge::publish_to_managers(const Link& link, std::string topic, std::string payload,
                                        std::string correlation, int qos) {
  transport::MqttPublish message;
  message.topic = std::move(topic);
  message.payload = std::move(payload);
  message.qos = qos;
  message.content_type = kEnvelopeContentType;
  message.response_topic = ocpp::station_topic(settings_.prefix, ocpp::TopicKind::out, link.version, link.station_id);
  message.correlation_data = std::move(correlation);
  message.user_properties = {{kGatewayProperty, settings_.node_id},
                             {kSessionProperty, link.session},
                             {kConnectedAtProperty, std::to_string(link.connected_at_ms)}};
  if (!publish_(std::move(message))) return false;
  counters_.to_broker.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void GatewayBridge::from_station(const std::shared_ptr<Link>& link, std::string text) {
  ocpp::FrameOptions options;
  options.max_frame_bytes = max_frame_bytes_;
  options.max_depth = settings_.max_json_depth;
  options.check_payload = true;  // the manager decodes it; what it could not even read is refused here
  options.tolerant = link->tolerant;
  auto frame = ocpp::parse_frame(text, options);
  if (!frame) {
    const auto& error = frame.error();
    if (std::uint64_t held_back = 0; link->refusal_log.may_log(std::chrono::steady_clock::now(), held_back))
      log_->info("{}: malformed frame: {}: {}{}", link->station_id, ocpp::describe(error.code), error.detail,
                 held_back_note(held_back));
    // As on a single node: only a CALL (or a frame whose type could not be read) is answered.
    if (!error.type || *error.type == ocpp::MessageType::call) {
      auto answer = ocpp::call_error_for(link->version, error);
      link->send(ocpp::call_error_frame(error.message_id.value_or("-1"), answer.code, answer.description));
    }
    return;
  }

  const auto in_topic = ocpp::station_topic(settings_.prefix, ocpp::TopicKind::in, link->version, link->station_id);
  auto envelope = ocpp::envelope_of(std::move(*frame));
  if (envelope.type == ocpp::MessageType::call) {
    const int qos = envelope.action == "Heartbeat" ? kQosRepeatable : kQosReliable;
    if (!publish_to_managers(*link, in_topic, ocpp::encode_envelope(envelope), new_traceparent(), qos)) {
      // Nothing was sent: the station must not take silence or a fake answer for success. Both
      // versions treat InternalError as "try again"; transaction messages are queued and resent.
      counters_.refused_link_down.fetch_add(1, std::memory_order_relaxed);
      auto answer = ocpp::call_error_for(link->version, ocpp::ErrorCode::internal_error,
                                         "the CSMS is temporarily unreachable; retry later");
      link->send(ocpp::call_error_frame(envelope.id, answer.code, answer.description));
    }
    return;
  }

  // An answer to a CSMS call: send it with the request it answers.
  PendingCall call;
  {
    std::lock_guard lock(link->mutex);
    auto it = std::find_if(link->pending.begin(), link->pending.end(),
                           [&](const auto& entry) { return entry.first == envelope.id; });
    if (it == link->pending.end()) {
      counters_.dropped_answers.fetch_add(1, std::memory_order_relaxed);
      log_->warn("{}: dropped an answer to no pending call (id {})", link->station_id, envelope.id);
      return;
    }
    call = std::move(it->second);
    link->pending.erase(it);
  }
  envelope.action = std::move(call.action);
  envelope.request = std::move(call.request);
  if (!publish_to_managers(*link, in_topic, ocpp::encode_envelope(envelope), std::move(call.correlation),
                           kQosReliable)) {
    // The manager's call times out and says so to whoever made it; nothing else can be done.
    log_->warn("{}: the answer to {} {} could not be passed on: broker unreachable", link->station_id, envelope.action,
               envelope.id);
  }
}

void GatewayBridge::on_message(const transport::MqttMessage& message) {
  auto topic = ocpp::parse_topic(settings_.prefix, message.topic);
  if (!topic || (topic->kind != ocpp::TopicKind::out && topic->kind != ocpp::TopicKind::control)) {
    counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
    log_->warn("ignored a message on {}: not an out or control topic", message.topic);
    return;
  }
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(topic->station_id);
    if (it != links_.end()) link = it->second;
  }
  if (!link) {
    // Every gateway sees every out message (docs/cluster.md); the one holding the station sends it.
    counters_.not_held.fetch_add(1, std::memory_order_relaxed);
    return;
  }

  if (topic->kind == ocpp::TopicKind::control) {
    auto command = ocpp::decode_control_command(message.payload);
    if (!command) {
      counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
      log_->warn("{}: ignored a control message: {}", topic->station_id, command.error());
      return;
    }
    if (!command->session.empty() && command->session != link->session) return;  // an older connection
    log_->info("{}: closed on the manager's request: {}", link->station_id, command->reason);
    if (auto c = link->connection.lock()) c->close(command->code, command->reason);
    return;
  }

  if (topic->version != link->version) {
    counters_.not_held.fetch_add(1, std::memory_order_relaxed);
    log_->warn("{}: dropped a message for {}: the station speaks {}", link->station_id, message.topic,
               ocpp::subprotocol(link->version));
    return;
  }
  auto envelope = ocpp::decode_envelope(message.payload, settings_.max_json_depth);
  if (!envelope) {
    counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
    log_->warn("{}: ignored a broken envelope on {}: {}", link->station_id, message.topic, envelope.error());
    return;
  }
  if (envelope->type == ocpp::MessageType::call) {
    std::lock_guard lock(link->mutex);
    if (link->pending.size() >= kMaxPendingCalls) link->pending.pop_front();
    link->pending.emplace_back(envelope->id,
                               PendingCall{envelope->action, envelope->request, message.correlation_data});
  }
  link->send(ocpp::frame_of(*envelope));
  counters_.to_stations.fetch_add(1, std::memory_order_relaxed);
}

void GatewayBridge::closed(const std::shared_ptr<Link>& link, const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(link->station_id);
    if (it != links_.end() && it->second == link) links_.erase(it);
  }
  log_->info("{}: disconnected: {}", link->station_id, reason);
  publish_event(*link, false, reason);
}

void GatewayBridge::publish_event(const Link& link, bool connected, const std::string& reason) {
  ocpp::ConnectionEvent event;
  event.connected = connected;
  event.gateway = settings_.node_id;
  event.session = link.session;
  event.remote_address = link.remote_address;
  event.at_ms = connected ? link.connected_at_ms : wall_ms();
  event.reason = reason;
  transport::MqttPublish message;
  message.topic = ocpp::station_topic(settings_.prefix, ocpp::TopicKind::event, link.version, link.station_id);
  message.payload = ocpp::encode_connection_event(event);
  message.qos = kQosReliable;
  message.content_type = kEnvelopeContentType;
  message.user_properties = {{kGatewayProperty, settings_.node_id},
                             {kSessionProperty, link.session},
                             {kConnectedAtProperty, std::to_string(link.connected_at_ms)}};
  if (publish_(message)) return;
  std::lock_guard lock(mutex_);
  if (unsent_events_.size() >= kMaxUnsentEvents) unsent_events_.pop_front();
  unsent_events_.push_back(std::move(message));
}

void GatewayBridge::on_link_up() {
  flush_events();
  // A manager that restarted (or a broker that lost its state) learns every open connection again;
  // a manager that already knows a session ignores the repeat.
  std::vector<std::shared_ptr<Link>> open_links;
  {
    std::lock_guard lock(mutex_);
    open_links.reserve(links_.size());
    for (const auto& [id, link] : links_) open_links.push_back(link);
  }
  for (const auto& link : open_links) publish_event(*link, true, "");
}

void GatewayBridge::flush_events() {
  std::deque<transport::MqttPublish> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(unsent_events_);
  }
  while (!events.empty()) {
    if (!publish_(events.front())) break;
    events.pop_front();
  }
  if (events.empty()) return;
  std::lock_guard lock(mutex_);  // the link went down again: keep the rest, oldest first
  for (auto it = events.rbegin(); it != events.rend(); ++it) unsent_events_.push_front(std::move(*it));
}

std::size_t GatewayBridge::connections() const {
  std::lock_guard lock(mutex_);
  return links_.size();
}

GatewayBridge::Stats GatewayBridge::stats() const {
  return {counters_.to_broker.load(), counters_.to_stations.load(),     counters_.refused_link_down.load(),
          counters_.not_held.load(),  counters_.dropped_answers.load(), counters_.invalid_messages.load()};
}

}  // namespace evbroker::actors
