#pragma once
// The services every actor of a node shares. Built once by the node at start-up, immutable after,
// and handed to actors as a shared_ptr<const NodeContext>.

#include <chrono>
#include <cstddef>
#include <memory>

#include <spdlog/logger.h>

#include "actors/metrics.hpp"
#include "actors/station_directory.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

class Router;

struct NodeSettings {
  std::chrono::seconds heartbeat_interval{300};  // told to stations in BootNotification
  std::chrono::seconds call_timeout{30};         // CSMS -> station CALL answer deadline
  std::size_t max_queued_calls = 32;             // CSMS calls waiting per station
  std::size_t max_frame_bytes = 256 * 1024;
  std::size_t max_incoming_in_flight = 4;        // station CALLs not yet answered, per station
};

struct NodeContext {
  NodeSettings settings;
  storage::Store* store = nullptr;
  storage::GroupCommitter* committer = nullptr;
  StationDirectory* directory = nullptr;
  Metrics* metrics = nullptr;
  const Router* router = nullptr;
  std::shared_ptr<spdlog::logger> station_log;  // "station"
  std::shared_ptr<spdlog::logger> handler_log;  // "handler"
};

using NodeContextPtr = std::shared_ptr<const NodeContext>;

}  // namespace evbroker::actors
