#include "actors/cluster/manager_bridge.hpp"

#include <charconv>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/core/messages.hpp"
#include "actors/station/station_gate.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {
namespace {

std::int64_t to_int(const std::string& text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// The session a message or event belongs to, as its gateway described it (MaEVe's gateway says
/// nothing: its stations then have one anonymous session each).
RemoteSession session_of(const transport::MqttMessage& message, const ocpp::Topic& topic) {
  RemoteSession session;
  session.station_id = topic.station_id;
  session.version = topic.version.value_or(ocpp::Version::v201);
  session.gateway = message.user_property(kGatewayProperty);
  session.session = message.user_property(kSessionProperty);
  session.connected_at_ms = to_int(message.user_property(kConnectedAtProperty));
  session.remote_address = session.gateway.empty() ? "mqtt" : "gateway " + session.gateway;
  return session;
}

}  // namespace

ManagerBridge::ManagerBridge(caf::actor_system& system, NodeContextPtr ctx, ClusterSettings settings,
                             MqttPublisher publish)
    : system_(system), ctx_(std::move(ctx)), settings_(std::move(settings)), publish_(std::move(publish)) {}

void ManagerBridge::on_message(const transport::MqttMessage& message) {
  auto topic = ocpp::parse_topic(settings_.prefix, message.topic);
  if (!topic) {
    counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
    ctx_->station_log->warn("ignored a message on {}: not a topic of prefix {}", message.topic, settings_.prefix);
    return;
  }
  if ((topic->kind == ocpp::TopicKind::in || topic->kind == ocpp::TopicKind::event) &&
      ocpp::station_partition(topic->station_id, settings_.partition_count) != settings_.partition_index) {
    // Another manager's station: every partition's manager sees every message (docs/cluster.md).
    counters_.not_mine.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  switch (topic->kind) {
    case ocpp::TopicKind::in: return on_station_message(message, *topic);
    case ocpp::TopicKind::event: return on_event(message, *topic);
    case ocpp::TopicKind::gateway_status: return on_gateway_status(message, *topic);
    default:
      counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
      ctx_->station_log->warn("ignored a message on {}: managers do not take this topic", message.topic);
  }
}

void ManagerBridge::on_station_message(const transport::MqttMessage& message, const ocpp::Topic& topic) {
  auto envelope = ocpp::decode_envelope(message.payload, ctx_->settings.max_json_depth);
  if (!envelope) {
    counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
    ctx_->station_log->warn("{}: ignored a broken envelope on {}: {}", topic.station_id, message.topic,
                            envelope.error());
    return;
  }
  auto session = session_of(message, topic);
  std::lock_guard lock(mutex_);
  auto it = held_.find(topic.station_id);
  Held* held = it == held_.end() ? nullptr : &it->second;
  // A message of a session this manager has not seen starts it (the manager restarted, or the
  // connected event is still on its way); a late message of an older session goes to the current
  // actor, whose answer reaches the station wherever it is now.
  const bool newer = held && !session.session.empty() && held->connection->session().session != session.session &&
                     session.connected_at_ms >= held->connection->session().connected_at_ms;
  if (!held || newer || held->connection->session().version != session.version) held = &start_session(session);
  if (envelope->type == ocpp::MessageType::call)
    held->connection->note_station_call(envelope->id, envelope->action, message.correlation_data);
  counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
  caf::anon_send(held->actor, message_atom::value, std::move(*envelope));
}

void ManagerBridge::on_event(const transport::MqttMessage& message, const ocpp::Topic& topic) {
  auto event = ocpp::decode_connection_event(message.payload);
  if (!event) {
    counters_.invalid_messages.fetch_add(1, std::memory_order_relaxed);
    ctx_->station_log->warn("{}: ignored a broken connection event: {}", topic.station_id, event.error());
    return;
  }
  auto session = session_of(message, topic);
  session.gateway = event->gateway;
  session.session = event->session;
  if (!event->remote_address.empty()) session.remote_address = event->remote_address;
  std::lock_guard lock(mutex_);
  auto it = held_.find(topic.station_id);
  const bool current = it != held_.end() && it->second.connection->session().session == event->session;
  if (event->connected) {
    if (current) {
      return;  // a gateway announcing its connections again after a broker outage
    }
    if (it != held_.end() && it->second.connection->session().connected_at_ms > session.connected_at_ms) {
      return;  // the station has already moved on to a newer connection
    }
    start_session(session);
    return;
  }
  if (current) end_session(topic.station_id, "disconnected from gateway " + event->gateway + ": " + event->reason);
}

void ManagerBridge::on_gateway_status(const transport::MqttMessage& message, const ocpp::Topic& topic) {
  if (message.payload != "offline") return;
  // The gateway's last will: it died with its sockets. Its stations reconnect elsewhere; until
  // then they are not connected, and calls to them must say so at once rather than time out.
  std::lock_guard lock(mutex_);
  std::vector<std::string> gone;
  for (const auto& [id, held] : held_)
    if (held.connection->session().gateway == topic.gateway_id) gone.push_back(id);
  if (!gone.empty())
    ctx_->station_log->warn("gateway {} is gone: {} stations disconnected", topic.gateway_id, gone.size());
  for (const auto& id : gone) end_session(id, "gateway " + topic.gateway_id + " is gone");
}

ManagerBridge::Held& ManagerBridge::start_session(RemoteSession session) {
  const std::string id = session.station_id;
  auto it = held_.find(id);
  if (it != held_.end()) {
    auto& old = it->second;
    const auto& previous = old.connection->session();
    // The previous socket may still be open on another gateway (a half-dead connection the
    // station gave up on): ask that gateway to close it, then end its actor quietly.
    if (!previous.session.empty() && previous.session != session.session) {
      old.connection->close(1000, "replaced by a newer connection of the same station");
    }
    old.connection->detach();
    caf::anon_send(old.actor, closed_atom::value, std::string("replaced by a newer connection"));
    counters_.sessions_ended.fetch_add(1, std::memory_order_relaxed);
    held_.erase(it);
  }
  auto connection =
      std::make_shared<RemoteConnection>(std::move(session), settings_.prefix, publish_, ctx_->station_log);
  const auto& s = connection->session();
  auto actor = start_station_actor(system_, ctx_, connection, s.station_id, s.version, s.gateway);
  counters_.sessions_started.fetch_add(1, std::memory_order_relaxed);
  return held_.emplace(id, Held{std::move(connection), std::move(actor)}).first->second;
}

void ManagerBridge::end_session(const std::string& station_id, const std::string& reason) {
  auto it = held_.find(station_id);
  if (it == held_.end()) return;
  it->second.connection->detach();
  caf::anon_send(it->second.actor, closed_atom::value, reason);
  held_.erase(it);
  counters_.sessions_ended.fetch_add(1, std::memory_order_relaxed);
}

void ManagerBridge::release_all() {
  std::lock_guard lock(mutex_);
  for (auto& [id, held] : held_) {
    held.connection->detach();
    caf::anon_send(held.actor, closed_atom::value, std::string("manager shutting down"));
  }
  held_.clear();
}

bool ManagerBridge::publish_registry_entry(const std::string& station_id, const std::string& record) {
  transport::MqttPublish message;
  message.topic = ocpp::registry_topic(settings_.prefix, station_id);
  message.payload = record;  // empty: deletes the retained record
  message.qos = kQosReliable;
  message.retained = true;
  message.content_type = kEnvelopeContentType;
  if (!publish_(std::move(message))) return false;
  counters_.registry_published.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ManagerBridge::station_changed(const std::string& station_id, const std::optional<std::string>& record) {
  // While the broker is away the change waits for on_link_up, which publishes every record.
  if (!publish_registry_entry(station_id, record.value_or("")))
    ctx_->station_log->warn("{}: registry change not published yet: broker unreachable", station_id);
}

void ManagerBridge::on_link_up() {
  std::size_t published = 0, failed = 0;
  auto reader = ctx_->store->read();
  reader.scan(storage::Table::stations, "", [&](std::string_view key, std::string_view value) {
    if (publish_registry_entry(std::string(key), std::string(value)))
      ++published;
    else
      ++failed;
    return true;
  });
  ctx_->station_log->info("published the station registry to the gateways: {} records{}", published,
                          failed ? " (" + std::to_string(failed) + " refused: the link went down again)" : "");
}

std::size_t ManagerBridge::stations() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

ManagerBridge::Stats ManagerBridge::stats() const {
  return {counters_.frames_in.load(),      counters_.invalid_messages.load(),   counters_.sessions_started.load(),
          counters_.sessions_ended.load(), counters_.registry_published.load(), counters_.not_mine.load()};
}

}  // namespace evbroker::actors
