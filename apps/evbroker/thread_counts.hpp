#pragma once
// How many threads the node's pools get when the configuration says 0 (io_threads, actor_threads).

namespace evbroker::app {

/// The cores this process may run on: its CPU affinity (taskset, a cgroup's cpuset, a container's
/// CPU set), which can be fewer than the machine has. At least 1.
unsigned usable_cores();

/// `configured`, or one per usable core when it is 0.
unsigned threads_or_cores(unsigned configured);

}  // namespace evbroker::app
