#include "apps/evbroker/open_file_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <system_error>

namespace evbroker::app {

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit result;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.problem = "getrlimit: " + std::generic_category().message(errno);
    return result;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    } else {
      result.problem = "setrlimit: " + std::generic_category().message(errno);
    }
  }
  result.soft = static_cast<std::uint64_t>(limit.rlim_cur);
  result.hard = static_cast<std::uint64_t>(limit.rlim_max);
  return result;
}

}  // namespace evbroker::app
