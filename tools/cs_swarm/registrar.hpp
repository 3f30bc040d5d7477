#pragma once
// --register: creates every simulated station and the authorization tokens through the management
// API (POST /api/v0/cs/{id}, POST /api/v0/token; docs/api.md) before any station connects. A
// bounded number of keep-alive HTTP connections each send one request after another, so 100k
// registrations cost 100k small requests on a few sockets, and the node's group commit gets as
// many concurrent writes as there are connections.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "tools/cs_swarm/options.hpp"
#include "tools/cs_swarm/url.hpp"

namespace evbroker::swarm {

struct RegistrationResult {
  std::size_t stations_registered = 0;
  std::size_t tokens_registered = 0;
  std::size_t failures = 0;
  std::map<std::string, std::uint64_t> failures_by_kind;  // "cs: http 400", "token: connection refused"
  double seconds = 0;
};

/// Registers stations 0..stations-1 and options.tokens tokens; prints progress unless quiet.
/// Runs its own io_context on the calling thread and returns when every request is done.
RegistrationResult register_all(const Url& api, const SwarmOptions& options, std::size_t stations);

}  // namespace evbroker::swarm
