#include "actors/api/api_routes.hpp"

#include <array>

namespace evbroker::actors::api {
namespace {

constexpr std::string_view kV0 = "/api/v0/";

// Keep in step with docs/openapi.json (and docs/api.md): the test api_routes_match_openapi checks it.
constexpr std::array kRoutes{
    ApiRoute{"GET", "/health"},
    ApiRoute{"GET", "/metrics"},
    ApiRoute{"GET", "/api/openapi.json"},
    // Charge stations
    ApiRoute{"GET", "/api/v0/cs", &list_stations},
    ApiRoute{"POST", "/api/v0/cs/{csId}", &register_station},
    ApiRoute{"GET", "/api/v0/cs/{csId}", &get_station},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}", &delete_station},
    ApiRoute{"GET", "/api/v0/cs/{csId}/auth", &get_station_auth},
    ApiRoute{"PUT", "/api/v0/cs/{csId}/registration", &set_station_registration},
    ApiRoute{"POST", "/api/v0/cs/{csId}/password", &change_station_password},
    ApiRoute{"POST", "/api/v0/cs/{csId}/reconfigure", &reconfigure_station},
    ApiRoute{"POST", "/api/v0/cs/{csId}/trigger", &trigger_station},
    ApiRoute{"GET", "/api/v0/cs/{csId}/events", &list_events},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/events", &clear_events},
    ApiRoute{"GET", "/api/v0/cs/{csId}/device-model", &list_device_model},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/device-model", &clear_device_model},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/meter-values", &clear_idle_meter_values},
    ApiRoute{"POST", "/api/v0/cs/{csId}/call/{Action}", &call_station},
    ApiRoute{"GET", "/api/v0/cs/{csId}/transactions/{transactionId}", &get_transaction},
    ApiRoute{"POST", "/api/v0/cs/{csId}/certificates", &install_station_certificates},
    ApiRoute{"GET", "/api/v0/cs/{csId}/certificates", &get_station_certificates},
    ApiRoute{"GET", "/api/v0/cs/{csId}/certificates/installed", &list_installed_certificates},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/certificates/installed", &delete_installed_certificate},
    // Certificates uploaded for Plug & Charge
    ApiRoute{"POST", "/api/v0/certificate", &upload_certificate},
    ApiRoute{"GET", "/api/v0/certificate/{certificateHash}", &get_uploaded_certificate},
    ApiRoute{"DELETE", "/api/v0/certificate/{certificateHash}", &delete_uploaded_certificate},
    // Tokens
    ApiRoute{"POST", "/api/v0/token", &set_token},
    ApiRoute{"GET", "/api/v0/token", &list_tokens},
    ApiRoute{"GET", "/api/v0/token/{tokenUid}", &get_token},
    ApiRoute{"DELETE", "/api/v0/token/{tokenUid}", &delete_token},
    // Transactions
    ApiRoute{"GET", "/api/v0/transactions", &list_transactions},
};

/// Whether the route's path (below /api/v0/) matches the request's segments.
bool path_matches(std::string_view pattern, const std::vector<std::string>& segments) {
  std::size_t i = 0;
  while (!pattern.empty()) {
    const auto slash = pattern.find('/');
    const auto part = pattern.substr(0, slash);
    pattern = slash == std::string_view::npos ? std::string_view{} : pattern.substr(slash + 1);
    if (i >= segments.size()) return false;
    const bool templated = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (templated ? segments[i].empty() : segments[i] != part) return false;
    ++i;
  }
  return i == segments.size();
}

}  // namespace

std::span<const ApiRoute> api_routes() { return kRoutes; }

const ApiRoute* match_v0_route(std::string_view method, const std::vector<std::string>& segments,
                               std::string& allowed) {
  allowed.clear();
  for (const auto& route : kRoutes) {
    if (route.path.substr(0, kV0.size()) != kV0 || !path_matches(route.path.substr(kV0.size()), segments)) continue;
    if (route.method == method) return &route;
    if (allowed.find(route.method) == std::string::npos)
      allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
  }
  return nullptr;
}

}  // namespace evbroker::actors::api
