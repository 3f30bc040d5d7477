#pragma once
// The management API's routes as one table: method, path as docs/openapi.json writes it, handler.
// ManagementApi::handle matches requests against it; the test api_routes_match_openapi holds the
// table and docs/openapi.json to the same set of operations, so neither can drift from the other.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actors/api/api_support.hpp"

namespace evbroker::actors::api {

struct ApiRoute {
  std::string_view method;  // GET, POST, DELETE (HEAD is served by GET)
  /// The full path with OpenAPI's templates: "/api/v0/cs/{csId}/call/{Action}". A template
  /// matches one non-empty segment.
  std::string_view path;
  void (*handler)(Request&) = nullptr;  // nullptr: a node endpoint ManagementApi answers itself
};

/// Every operation the API serves: /health, /metrics, /api/openapi.json, then everything under /api/v0.
std::span<const ApiRoute> api_routes();

/// The route of `method` for the percent-decoded segments after "/api/v0/", or nullptr. When the
/// path exists with other methods, `allowed` lists them ("GET, DELETE") for a 405.
const ApiRoute* match_v0_route(std::string_view method, const std::vector<std::string>& segments, std::string& allowed);

}  // namespace evbroker::actors::api
