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

DescriptorPlan plan_descriptors(std::uint64_t open_file_limit, std::uint64_t api_connections,
                                std::uint64_t max_station_connections) {
  DescriptorPlan plan;
  plan.api = api_connections;
  const std::uint64_t taken = plan.api + plan.reserve;
  if (open_file_limit <= taken) {
    plan.problem = "the open-file limit " + std::to_string(open_file_limit) + " leaves no room for stations after " +
                   std::to_string(plan.api) + " API connections and a reserve of " + std::to_string(plan.reserve) +
                   ": raise it (ulimit -n, LimitNOFILE=) or lower --api-max-connections";
    return plan;
  }
  plan.stations = open_file_limit - taken;
  if (max_station_connections != 0 && max_station_connections < plan.stations) plan.stations = max_station_connections;
  return plan;
}

std::string DescriptorPlan::summary() const {
  return "room for " + std::to_string(stations) + " station connections (" + std::to_string(api) +
         " API connections and " + std::to_string(reserve) +
         " descriptors for the store, listeners, MQTT and back ends "
         "kept apart)";
}

}  // namespace evbroker::app
