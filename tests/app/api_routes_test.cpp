// The management API's route table (actors/api/api_routes.cpp) and docs/openapi.json describe the
// same operations, and requests reach the route of their method and path.

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>

#include <simdjson.h>

#include "actors/api/api_routes.hpp"

using evbroker::actors::api::api_routes;
using evbroker::actors::api::match_v0_route;
using Operation = std::pair<std::string, std::string>;  // method, path

namespace {

std::set<Operation> openapi_operations() {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(EVBROKER_SOURCE_DIR "/docs/openapi.json");
  std::set<Operation> out;
  for (auto [path, item] : doc["paths"].get_object()) {
    for (auto [method, operation] : item.get_object()) {
      std::string m(method);
      if (m != "get" && m != "post" && m != "put" && m != "delete" && m != "patch") continue;  // "parameters", ...
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(m, std::string(path));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every route is in docs/openapi.json and every operation there has a route", "[api]") {
  std::set<Operation> routes;
  for (const auto& r : api_routes()) {
    CHECK(routes.emplace(std::string(r.method), std::string(r.path)).second);  // no route twice
    if (std::string_view(r.path).substr(0, 8) == "/api/v0/") CHECK(r.handler != nullptr);
  }
  const auto documented = openapi_operations();
  for (const auto& op : routes) {
    INFO(op.first << " " << op.second);
    CHECK(documented.count(op) == 1);
  }
  for (const auto& op : documented) {
    INFO(op.first << " " << op.second);
    CHECK(routes.count(op) == 1);
  }
}

TEST_CASE("requests reach the route of their method and path, and a template matches one segment", "[api]") {
  std::string allowed;
  const auto* r = match_v0_route("POST", {"cs", "CS1", "call", "Reset"}, allowed);
  REQUIRE(r != nullptr);
  CHECK(r->path == "/api/v0/cs/{csId}/call/{Action}");
  r = match_v0_route("GET", {"cs", "CS1"}, allowed);
  REQUIRE(r != nullptr);
  CHECK(r->path == "/api/v0/cs/{csId}");
  r = match_v0_route("GET", {"cs"}, allowed);
  REQUIRE(r != nullptr);
  CHECK(r->path == "/api/v0/cs");
  r = match_v0_route("GET", {"cs", "CS1", "certificates", "installed"}, allowed);
  REQUIRE(r != nullptr);
  CHECK(r->path == "/api/v0/cs/{csId}/certificates/installed");

  CHECK(match_v0_route("GET", {"cs", "", "auth"}, allowed) == nullptr);  // an empty id is no id
  CHECK(match_v0_route("GET", {"cs", "CS1", "call"}, allowed) == nullptr);
  CHECK(match_v0_route("GET", {"cs", "CS1", "auth", "more"}, allowed) == nullptr);
  CHECK(match_v0_route("GET", {}, allowed) == nullptr);
  CHECK(allowed.empty());
}

TEST_CASE("a known path with another method names the methods it has", "[api]") {
  std::string allowed;
  CHECK(match_v0_route("PUT", {"cs", "CS1"}, allowed) == nullptr);
  CHECK(allowed == "POST, GET, DELETE");
  CHECK(match_v0_route("DELETE", {"transactions"}, allowed) == nullptr);
  CHECK(allowed == "GET");
}
