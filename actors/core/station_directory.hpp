#pragma once
// Which station is connected right now, and to which station actor. Read by the management API
// (from HTTP threads) and written by the upgrade path and the station actors, hence a mutex rather
// than an actor: lookups are the hot path and must not wait for a mailbox.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/core/messages.hpp"

#include "protocol/version.hpp"

namespace evbroker::actors {

class StationDirectory {
 public:
  struct Entry {
    StationActor actor;
    ocpp::Version version = ocpp::Version::v201;
    std::int64_t connected_at_ms = 0;
    std::string remote_address;
    /// Updated by the station actor on every frame; read by the API.
    std::shared_ptr<std::atomic<std::int64_t>> last_seen_ms;
  };

  /// Makes `entry` the station's current connection. Returns the connection it replaces, which
  /// the caller must close (a second connection for a station wins over the first).
  std::optional<Entry> attach(const std::string& station_id, Entry entry);
  /// Forgets the station's connection if `actor` is still the current one (a replaced connection
  /// closing late must not remove its successor). Returns true when it was.
  bool detach(const std::string& station_id, const StationActor& actor);
  std::optional<Entry> find(const std::string& station_id) const;
  std::size_t count(ocpp::Version version) const;
  std::size_t size() const;
  /// Every current actor (used at shutdown).
  std::vector<StationActor> actors() const;
  /// The ids of the stations connected now.
  std::vector<std::string> ids() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace evbroker::actors
