#pragma once
// Every simulated station holds one socket, so the number of open files caps the swarm. cs_swarm
// raises its soft limit to the hard limit at start and simulates only as many stations as fit,
// saying so, rather than failing half-way through the ramp with EMFILE.

#include <cstddef>

namespace evbroker::swarm {

struct FdLimit {
  std::size_t soft_before = 0;
  std::size_t soft = 0;  // after raising
  std::size_t hard = 0;
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit.
FdLimit raise_fd_limit();

/// Descriptors kept for everything that is not a station socket (stdio, epoll, timers, the JSON
/// file, HTTP registration connections, the resolver), per I/O thread and overall.
std::size_t reserved_descriptors(std::size_t threads, std::size_t register_connections);

}  // namespace evbroker::swarm
