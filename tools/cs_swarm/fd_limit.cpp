#include "tools/cs_swarm/fd_limit.hpp"

#include <sys/resource.h>

namespace evbroker::swarm {

FdLimit raise_fd_limit() {
  FdLimit out;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return out;
  out.soft_before = static_cast<std::size_t>(limit.rlim_cur);
  out.hard = static_cast<std::size_t>(limit.rlim_max);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
      out.soft = out.hard;
    else
      out.soft = out.soft_before;
  } else {
    out.soft = out.soft_before;
  }
  return out;
}

std::size_t reserved_descriptors(std::size_t threads, std::size_t register_connections) {
  return 32 + 4 * threads + register_connections;
}

}  // namespace evbroker::swarm
