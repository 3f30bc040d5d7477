#pragma once
// The back-end actor: every HTTP exchange with Hubject (or any back end speaking its Open
// Plug&Charge API) and with OCSP responders. One per node. It owns the Hubject bearer token
// (fixed, from an environment variable, or OAuth2 client credentials refreshed before expiry and
// once more on a 401), retries a failed connection or a 5xx a bounded number of times with
// backoff, and caches Hubject's root and CA certificates. The HTTP itself runs on the node's I/O
// threads (transport::HttpClient); results come back to the actor as messages, so no actor thread
// ever waits on the network.

#include <caf/all.hpp>

#include "actors/core/node_context.hpp"
#include "actors/core/messages.hpp"

namespace evbroker::actors {

/// Spawned by install_handlers; answers enroll/contract/roots/ocsp requests with a BackendReply
/// (core/messages.hpp) and quits on stop_atom. Needs ctx->http_client.
BackendActor spawn_backend_actor(caf::actor_system& system, NodeContextPtr ctx);

}  // namespace evbroker::actors
