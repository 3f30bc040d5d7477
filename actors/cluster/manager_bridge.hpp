#pragma once
// The manager role's edge (docs/cluster.md). Envelopes from the gateways become frames for
// station actors that live here, one per connected station, each talking to a RemoteConnection
// instead of a socket; connection events and a gateway's last will start and end those actors.
// The manager also publishes the station registry (retained) that gateways check upgrades against.
//
// Runs on Paho's callback thread (one at a time) except station_changed, which the management API
// calls after a commit.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/cluster/cluster_settings.hpp"
#include "actors/cluster/remote_connection.hpp"
#include "actors/core/node_context.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/transport/mqtt_link.hpp"

namespace evbroker::actors {

class ManagerBridge {
 public:
  ManagerBridge(caf::actor_system& system, NodeContextPtr ctx, ClusterSettings settings, MqttPublisher publish);

  /// A message on an in, event or gateway status topic.
  void on_message(const transport::MqttMessage& message);
  /// The broker link came up: publish every station record (retained) so gateways converge.
  void on_link_up();
  /// A station was registered, changed (record set) or removed (nullopt): tell the gateways.
  void station_changed(const std::string& station_id, const std::optional<std::string>& record);
  /// Shutdown: end every station actor without closing the stations' sockets (the gateways keep
  /// them; a manager that comes back picks them up with their next message).
  void release_all();

  std::size_t stations() const;
  struct Stats {
    std::uint64_t frames_in = 0;         // envelopes passed to station actors
    std::uint64_t invalid_messages = 0;  // broken topics, envelopes or events
    std::uint64_t sessions_started = 0;
    std::uint64_t sessions_ended = 0;
    std::uint64_t registry_published = 0;
    std::uint64_t not_mine = 0;  // messages of stations in other managers' partitions
  };
  Stats stats() const;

 private:
  struct Held {
    std::shared_ptr<RemoteConnection> connection;
    StationActor actor;
  };
  void on_station_message(const transport::MqttMessage& message, const ocpp::Topic& topic);
  void on_event(const transport::MqttMessage& message, const ocpp::Topic& topic);
  void on_gateway_status(const transport::MqttMessage& message, const ocpp::Topic& topic);
  /// Starts the actor of a session, ending the station's previous one (whose socket, if it is on
  /// another gateway and still open, is asked to close).
  Held& start_session(RemoteSession session);
  void end_session(const std::string& station_id, const std::string& reason);
  bool publish_registry_entry(const std::string& station_id, const std::string& record);

  caf::actor_system& system_;
  NodeContextPtr ctx_;
  ClusterSettings settings_;
  MqttPublisher publish_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Held> held_;  // station id -> its current session here

  struct Counters {
    std::atomic<std::uint64_t> frames_in{0}, invalid_messages{0}, sessions_started{0}, sessions_ended{0},
        registry_published{0}, not_mine{0};
  };
  Counters counters_;
};

}  // namespace evbroker::actors
