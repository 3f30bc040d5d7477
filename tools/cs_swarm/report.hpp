#pragma once
// What a run found, and its three renderings: the progress line printed once a second, the table
// printed at the end, and the JSON file (--json) that scripts read. docs/load-testing.md explains
// every field.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "tools/cs_swarm/options.hpp"
#include "tools/cs_swarm/registrar.hpp"
#include "tools/cs_swarm/stats.hpp"

namespace evbroker::swarm {

struct SwarmReport {
  SwarmOptions options;
  unsigned threads = 0;

  std::size_t stations_requested = 0;
  std::size_t stations_target = 0;  // simulated: requested, or fewer when descriptors run out
  std::size_t fd_limit = 0;         // RLIMIT_NOFILE after raising it
  bool capped_by_fd_limit = false;
  std::optional<RegistrationResult> registration;

  double ramp_s = 0;  // first attempts of every station resolved
  std::int64_t booted_after_ramp = 0;
  double duration_s = 0;  // the measurement window
  double run_s = 0;       // everything, registration excluded
  StatsSnapshot window;   // counters of the window; gauges at its end
  StatsSnapshot total;    // counters of the whole run
  std::int64_t max_connected = 0;

  std::uint64_t recovery_drops = 0;   // booted connections lost (storm, server restart)
  double recovery_s = -1;             // first drop to last reboot; < 0: none or not all back
  std::int64_t recovery_waiting = 0;  // stations not booted again by the end
  std::optional<double> storm_s;      // storm scenario: drop to all booted again

  std::map<std::string, std::map<std::string, std::uint64_t>> errors;
  bool interrupted = false;
};

/// "  12.0s ramp  connected 1980/2000 booted 1975  msgs/s 12345  p99 4.2 ms  errors 0"
std::string progress_line(double elapsed_s, const char* phase, const StatsSnapshot& now,
                          const StatsSnapshot& last_second, double second_s, std::size_t target);

void print_table(const SwarmReport& report);

/// Writes the report; false with `error` set when the file cannot be written.
bool write_json(const SwarmReport& report, const std::string& path, std::string& error);

}  // namespace evbroker::swarm
