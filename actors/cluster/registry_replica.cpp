#include "actors/cluster/registry_replica.hpp"

#include "protocol/mqtt_envelope.hpp"

namespace evbroker::actors {

bool RegistryReplica::apply(const transport::MqttMessage& message) {
  auto topic = ocpp::parse_topic(prefix_, message.topic);
  if (!topic || topic->kind != ocpp::TopicKind::registry) return false;
  std::lock_guard lock(mutex_);
  if (message.payload.empty())
    records_.erase(topic->station_id);
  else
    records_[topic->station_id] = message.payload;
  return true;
}

std::optional<std::string> RegistryReplica::find(const std::string& station_id) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(station_id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::size_t RegistryReplica::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

}  // namespace evbroker::actors
