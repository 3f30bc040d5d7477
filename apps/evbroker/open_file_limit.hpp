#pragma once
// Every station connection is a socket: the soft limit on open files (often 1024) would cap the node
// far below what it can carry, so it is raised to the hard limit at start.

#include <cstdint>
#include <string>

namespace evbroker::app {

struct OpenFileLimit {
  std::uint64_t soft = 0;  // in effect after the call
  std::uint64_t hard = 0;
  std::string problem;     // why it could not be raised ("" when it was, or already was)
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit.
OpenFileLimit raise_open_file_limit();

}  // namespace evbroker::app
