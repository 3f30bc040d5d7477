#pragma once
// The gateway's copy of the station registry. A gateway owns no store, yet it must decide every
// websocket upgrade at once and without blocking (password, security profile, tolerant mode). The
// manager publishes each station record as a retained message on <prefix>/registry/<stationId>
// (an empty payload deletes it), so a gateway that subscribes receives the whole registry and then
// every change, in the order the manager committed them (docs/cluster.md).

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/transport/mqtt_link.hpp"

namespace evbroker::actors {

class RegistryReplica {
 public:
  explicit RegistryReplica(std::string prefix) : prefix_(std::move(prefix)) {}

  /// Applies a registry message; false when the message is not one (wrong topic).
  bool apply(const transport::MqttMessage& message);
  /// The stored station record JSON (actors/records/records.hpp), as the manager committed it.
  std::optional<std::string> find(const std::string& station_id) const;
  std::size_t size() const;

 private:
  std::string prefix_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> records_;
};

}  // namespace evbroker::actors
