#pragma once
// One actor per station connection (docs/architecture.md "The path of a TransactionEvent"). It owns the OCPP-J side
// of the connection: framing, validation with the generated codecs, routing each station CALL to
// its handler and sending the answer back, and the CSMS side's rule of one CALL in flight: calls
// from the management API queue here (bounded), go out one at a time, and fail after a timeout.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/core/log_throttle.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "actors/station/registration.hpp"
#include "actors/station/settings.hpp"
#include "protocol/transport/ws_server.hpp"

namespace evbroker::actors {

struct StationSetup {
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  bool tolerant = false;
  /// Held weakly: the session owns the actor, not the other way round (docs/toolchain.md).
  std::weak_ptr<transport::Connection> connection;
  std::shared_ptr<std::atomic<std::int64_t>> last_seen_ms;
  NodeContextPtr ctx;
  /// The station's registration when it connected, and what its last BootNotification was answered
  /// (nullopt: never): where its RegistrationGate starts.
  Registration registration = Registration::accepted;
  std::optional<Registration> told;
  /// Read the station's inventory after its boot (boot_provisioning.hpp), unless it was read before.
  bool boot_provisioning = false;
  bool provisioned = false;
};

struct StationState {
  /// A CSMS call waiting for its turn, answered through a response promise (API) or a callback
  /// (calls the node makes itself, e.g. pushing settings).
  struct Queued {
    CsmsCall call;
    caf::typed_response_promise<CsmsCallResult> promise;
    std::function<void(const CsmsCallResult&)> internal;
    std::chrono::steady_clock::time_point queued_at{};
  };
  struct InFlight {
    Queued queued;
    std::string message_id;
    std::uint64_t sequence = 0;
  };

  StationSetup setup;
  /// Station CALLs routed to a handler and not answered yet: message id -> action index.
  std::unordered_map<std::string, std::size_t> incoming;
  std::deque<Queued> queue;
  /// Tickets withdrawn before their call arrived (withdraw_atom may overtake csms_call_atom), newest
  /// last, a few at most: those calls are refused when they arrive.
  static constexpr std::size_t kWithdrawnKept = 64;
  std::deque<std::uint64_t> withdrawn;
  /// The settings push under way (station_actor.cpp "settings"), and whether another was asked for.
  struct SettingsRound {
    std::vector<SettingsCall> calls;
    std::size_t next = 0;
    /// The call queued or in flight, until its outcome is stored: its keys cannot be cancelled.
    std::shared_ptr<const SettingsCall> out;
  };
  std::optional<SettingsRound> settings_round;
  bool settings_again = false;
  /// Setting keys the API is cancelling (hold_atom .. release_atom): never sent meanwhile.
  std::set<std::string> held_settings;
  std::optional<InFlight> in_flight;
  /// What the station may send and be sent, by its registration status (registration.hpp).
  RegistrationGate registration;
  std::uint64_t sequence = 0;
  std::string id_prefix;  // makes CSMS message ids unique across connections
  bool closed = false;
  /// Refused frames and tolerated deviations are logged a few per period (log_throttle.hpp); the
  /// metrics count every one.
  LogThrottle refusal_log;
  LogThrottle tolerated_log;

  static inline const char* name = "station";
};

StationActor::behavior_type station_actor(StationActor::stateful_pointer<StationState> self, StationSetup setup);

/// Bridges a transport connection to its station actor: frames and the close go to the actor as
/// messages. Owned by the transport session, it keeps the actor alive for the session's lifetime.
class StationSession : public transport::ConnectionHandler {
 public:
  explicit StationSession(StationActor actor) : actor_(std::move(actor)) {}
  void on_text(std::string text) override;
  void on_closed(const std::string& reason) override;
  const StationActor& actor() const { return actor_; }

 private:
  StationActor actor_;
};

}  // namespace evbroker::actors
