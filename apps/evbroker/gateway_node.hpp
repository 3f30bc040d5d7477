#pragma once
// The gateway role (docs/cluster.md): station websockets (ws, wss, profile 3) bridged to MQTT. No
// store, no handlers, no management API: /health and /metrics only.

#include <functional>

#include "apps/evbroker/config.hpp"

namespace evbroker::app {

/// Runs the gateway until SIGTERM or SIGINT. Exit codes as run_node.
int run_gateway(const NodeConfig& config, std::function<ParseOutcome(NodeConfig&)> reread);

}  // namespace evbroker::app
