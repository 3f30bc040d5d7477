#include "apps/evbroker/thread_counts.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace evbroker::app {

unsigned usable_cores() {
  // Not std::thread::hardware_concurrency(), which counts the machine's cores: a node confined to one
  // core would run two threads per pool there, and they would only take turns (measured: a context
  // switch per hand-over between the socket and actor threads, bench/run_bench.py's pinned figure).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

unsigned threads_or_cores(unsigned configured) { return configured != 0 ? configured : usable_cores(); }

}  // namespace evbroker::app
