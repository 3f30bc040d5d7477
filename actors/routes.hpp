#pragma once
// The top of actors/: the routing table that sends each station CALL to the functional block
// (actors/blocks/) or the Plug & Charge actor (actors/pnc/) that answers it, and the service actors
// the other actors reach through the router. Nothing in actors/ includes this header; the node
// (apps/evbroker/node.cpp) calls it once at start-up.

#include <caf/actor_system.hpp>

#include "actors/core/node_context.hpp"
#include "actors/core/router.hpp"

namespace evbroker::actors {

/// Spawns the block actors, the Plug & Charge actors and the retention actor, and fills `router`
/// with every station-initiated action they take.
void install_handlers(caf::actor_system& system, const NodeContextPtr& ctx, Router& router);

}  // namespace evbroker::actors
