#pragma once
// The door stations come through: decides each websocket upgrade (path, registration, security
// profile, credentials, subprotocol, throttling of repeated failures by where they come from:
// login_throttle.hpp) and turns an accepted connection into a station actor registered in the
// directory.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor_system.hpp>

#include "actors/core/login_throttle.hpp"
#include "actors/core/node_context.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/station_password.hpp"
#include "actors/station/proxy_client_cert.hpp"
#include "protocol/transport/ws_server.hpp"

namespace evbroker::actors {

/// The stored station record (actors/records/records.hpp) of a station id, or nullopt when unknown.
using StationLookup = std::function<std::optional<std::string>(const std::string& station_id)>;

/// Spawns the station actor of a connection (local socket or, on a manager, a gateway's), puts it
/// in the directory and stores the connection in the station's runtime record. A previous
/// connection of the same station is told to close. `gateway` is "" on a single node.
StationActor start_station_actor(caf::actor_system& system, const NodeContextPtr& ctx,
                                 std::shared_ptr<transport::Connection> connection, const std::string& station_id,
                                 ocpp::Version version, const std::string& gateway);

class StationGate {
 public:
  /// `system` may be null where stations are not served by actors (the gateway role, which only
  /// uses decide()); `lookup` defaults to the node's store.
  StationGate(caf::actor_system* system, NodeContextPtr ctx, StationLookup lookup = {});

  /// The upgrade decision (runs on an I/O thread; reads the store, never blocks on a writer).
  transport::UpgradeDecision decide(const transport::UpgradeRequest& request);
  /// Spawns the station actor of an accepted connection; a previous connection of the same
  /// station is told to close.
  std::shared_ptr<transport::ConnectionHandler> open(std::shared_ptr<transport::Connection> connection,
                                                     const transport::UpgradeRequest& request,
                                                     const std::string& subprotocol);

 private:
  struct Refusal {
    UpgradeOutcome outcome;
    int status;
    std::string reason;
    bool failed_login;  // counts against the source address (login_throttle.hpp)
  };
  std::optional<Refusal> credentials_refusal(int profile, const StationRecord& station, const ProxiedTls& seen,
                                             const transport::UpgradeRequest& request, PasswordMatch& match) const;
  transport::UpgradeDecision refuse(UpgradeOutcome outcome, int status, std::string reason);
  /// After a login with a password: retires the previous password once the current one is used,
  /// adopts an offered one the station logged in with (station_password.hpp).
  void note_password_login(const std::string& id, const std::string& password, PasswordMatch match);
  /// Where an upgrade comes from, for throttling: the peer address, or behind a trusted
  /// TLS-terminating proxy the address the proxy reports (the last X-Forwarded-For entry).
  std::string source_of(const transport::UpgradeRequest& request) const;

  caf::actor_system* system_;
  NodeContextPtr ctx_;
  StationLookup lookup_;
  LoginThrottle throttle_;
};

}  // namespace evbroker::actors
