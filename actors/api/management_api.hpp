#pragma once
// The management API (docs/api.md): MaEVe's paths under /api/v0 and ours. Each HTTP request is
// routed here from an I/O thread; reads go straight to LMDB read transactions, writes through the
// group committer, and calls to stations through their station actor; the answer is given from
// whichever thread finishes the work (the Responder posts it back to the connection).

#include <functional>
#include <memory>
#include <utility>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/core/node_context.hpp"
#include "protocol/transport/http_server.hpp"

namespace evbroker::actors {

struct ApiOptions {
  std::string token;  // empty: no Authorization needed (loopback only; the config checks that)
  /// GET /health: status code and JSON body. Unset: 200 {"status":"OK"}. The manager role answers
  /// 503 while its broker is unreachable (it cannot serve stations then).
  std::function<std::pair<int, std::string>()> health;
  /// Extra Prometheus text appended to GET /metrics (the cluster bridge's counters).
  std::function<std::string()> extra_metrics;
};

class ManagementApi {
 public:
  ManagementApi(caf::actor_system& system, NodeContextPtr ctx, ApiOptions options);
  void handle(transport::HttpRequest request, transport::Responder respond);
  /// HttpServerOptions::body_limit_for: a firmware image (PUT /api/v0/firmware/{name}, with the
  /// token when one is needed) may be --max-firmware-bytes; any other body `default_limit`.
  std::size_t body_limit_for(const transport::HttpRequest& head, std::size_t default_limit) const;

 private:
  caf::actor_system& system_;
  NodeContextPtr ctx_;
  ApiOptions options_;
};

}  // namespace evbroker::actors
