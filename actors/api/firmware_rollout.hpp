#pragma once
// A firmware rollout: one image (uploaded to the node, actors/files/) sent to a list of stations, at
// most `concurrency` updating at once, stopped when `maxFailures` of them failed. Each station is
// sent UpdateFirmware in turn; it counts as done when its FirmwareStatusNotification says Installed
// (for 2.0.1, of the requestId it was sent) and as failed when it reports a failure status, refuses
// the request, or reports nothing for `stationTimeout` seconds. A station not connected when its turn
// comes is skipped. The decisions are plain functions over a Rollout (tests/actors/rollout_test.cpp);
// RolloutRunner is the actor that ticks once a second and sends the calls.
//
// Rollouts are kept in memory: a restart ends them (the stations keep what they were sent).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"

namespace evbroker::actors {

enum class RolloutStationState { waiting, sent, installed, failed, skipped };
std::string_view to_string(RolloutStationState state);

struct RolloutStation {
  std::string id;
  RolloutStationState state = RolloutStationState::waiting;
  std::string detail;           // the failure, the status last seen
  std::int64_t request_id = 0;  // of the UpdateFirmware it was sent
  std::int64_t started_ms = 0;  // when it was sent
  std::int64_t finished_ms = 0;
};

enum class RolloutState { running, stopped, cancelled, done };
std::string_view to_string(RolloutState state);

struct Rollout {
  std::string id;
  std::string firmware;  // the image's name
  std::string location;  // its URL on the files listener
  std::size_t concurrency = 1;
  std::size_t max_failures = 1;
  std::int64_t station_timeout_ms = 3600 * 1000;
  std::int64_t created_ms = 0;
  std::int64_t finished_ms = 0;
  RolloutState state = RolloutState::running;
  std::string reason;  // why it stopped
  std::vector<RolloutStation> stations;

  std::size_t count(RolloutStationState state) const;
};

/// What a FirmwareStatusNotification status means for a rollout.
enum class FirmwareProgress { going, installed, failed };
FirmwareProgress firmware_progress(std::string_view status);

/// The stations to send UpdateFirmware to now (indexes into stations): while running and below
/// max_failures, waiting ones up to `concurrency` in flight.
std::vector<std::size_t> next_stations(const Rollout& rollout);
/// A station's outcome; the rollout stops at max_failures and is done when no station is left.
void finish_station(Rollout& rollout, std::size_t index, bool installed, std::string detail, std::int64_t now_ms);
/// Sets the rollout's state from its stations (stopped, done) when it is running.
void settle(Rollout& rollout, std::int64_t now_ms);
std::string rollout_json(const Rollout& rollout);

/// The runner of one rollout: sweep is its own tick (and a nudge when a call was answered).
using RolloutActor = caf::typed_actor<caf::reacts_to<sweep_atom>, caf::reacts_to<stop_atom>>;

/// Every rollout of the node, their runners, and stopping them at shutdown. Thread-safe.
class FirmwareRollouts {
 public:
  struct Entry {
    std::shared_ptr<std::mutex> mutex;  // guards rollout
    std::shared_ptr<Rollout> rollout;
    RolloutActor runner;
  };
  /// Starts `rollout` (its id set here) and returns its id.
  std::string start(caf::actor_system& system, NodeContextPtr ctx, Rollout rollout);
  std::optional<std::string> json_of(const std::string& id) const;
  std::string list_json() const;
  /// Cancels a running rollout: no more stations are sent the update. False when unknown.
  bool cancel(const std::string& id, std::int64_t now_ms);
  void stop_all();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> rollouts_;
  std::uint64_t next_ = 1;
};

}  // namespace evbroker::actors
