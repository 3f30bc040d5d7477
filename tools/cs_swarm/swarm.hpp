#pragma once
// A whole cs_swarm run: check the limits, register, start the I/O threads, ramp the stations up,
// measure a window, (storm), stop, report. The main thread only orchestrates and prints.

#include "tools/cs_swarm/options.hpp"

namespace evbroker::swarm {

/// Runs the swarm described by `options`; returns the process exit code.
int run_swarm(const SwarmOptions& options);

}  // namespace evbroker::swarm
