#pragma once
// A running node: the store, the actor system with its handlers, the websocket listeners and the
// management API, started in that order and stopped in reverse (docs/toolchain.md "Beast and CAF together").

#include <functional>

#include "apps/evbroker/config.hpp"

namespace evbroker::app {

/// Runs the node (role all: everything in one process; role manager: the same behind MQTT, without
/// websocket listeners) until SIGTERM or SIGINT, then shuts down gracefully: stop accepting, close the
/// station connections, let in-flight writes commit, flush the store. Returns the exit code
/// (0 after a clean shutdown, 1 when the node could not start).
/// `reread` parses the configuration again (for SIGHUP: listeners.hpp reload_on_hangup).
int run_node(const NodeConfig& config, std::function<ParseOutcome(NodeConfig&)> reread);

}  // namespace evbroker::app
