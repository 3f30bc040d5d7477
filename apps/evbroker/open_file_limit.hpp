#pragma once
// Every station connection is a socket: the soft limit on open files (often 1024) would cap the node
// far below what it can carry, so it is raised to the hard limit at start.

#include <cstdint>
#include <string>

namespace evbroker::app {

struct OpenFileLimit {
  std::uint64_t soft = 0;  // in effect after the call
  std::uint64_t hard = 0;
  std::string problem;  // why it could not be raised ("" when it was, or already was)
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit.
OpenFileLimit raise_open_file_limit();

/// How the node shares its file descriptors (issue 12: 20,000 idle API connections took them all,
/// and stations could no longer connect): the API gets its bounded share, a fixed reserve covers
/// the store, the listeners, the MQTT link, back-end connections, logs and the runtime's own, and
/// stations get the rest (or less, when max_station_connections says so).
struct DescriptorPlan {
  static constexpr std::uint64_t kReserve = 64;
  std::uint64_t stations = 0;  // station sockets at once: open websockets + handshakes
  std::uint64_t api = 0;       // API connections at once
  std::uint64_t reserve = kReserve;
  std::string problem;          // the limit leaves no room for stations ("" when it does)
  std::string summary() const;  // for the start-up log
};
DescriptorPlan plan_descriptors(std::uint64_t open_file_limit, std::uint64_t api_connections,
                                std::uint64_t max_station_connections);

}  // namespace evbroker::app
