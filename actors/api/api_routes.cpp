#include "actors/api/api_routes.hpp"

#include <array>

#include "actors/api/api_station_pending.hpp"

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
    ApiRoute{"POST", "/api/v0/cs/{csId}/security-profile", &upgrade_station_security_profile},
    ApiRoute{"GET", "/api/v0/cs/{csId}/security-profile", &get_station_security_profile_upgrade},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/security-profile", &cancel_station_security_profile_upgrade},
    ApiRoute{"POST", "/api/v0/cs/{csId}/provisioning", &provision_station},
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
    // Work waiting for the station: settings, installs, deliveries (api_station_pending.cpp)
    ApiRoute{"GET", "/api/v0/cs/{csId}/pending", &list_station_pending},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/pending/{pendingId}", &cancel_station_pending},
    // The maintained MaEVe fork's operations (api_maeve_*.cpp; docs/api.md "The maintained MaEVe fork's API")
    ApiRoute{"POST", "/api/v0/cs/{csId}/reset", &maeve_reset},
    ApiRoute{"POST", "/api/v0/cs/{csId}/unlock-connector", &maeve_unlock_connector},
    ApiRoute{"POST", "/api/v0/cs/{csId}/availability", &maeve_change_availability},
    ApiRoute{"POST", "/api/v0/cs/{csId}/cache/clear", &maeve_clear_cache},
    ApiRoute{"POST", "/api/v0/cs/{csId}/data-transfer", &maeve_data_transfer},
    ApiRoute{"POST", "/api/v0/cs/{csId}/start-transaction", &maeve_remote_start},
    ApiRoute{"POST", "/api/v0/cs/{csId}/stop-transaction", &maeve_remote_stop},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/certificate", &maeve_delete_station_certificate},
    ApiRoute{"GET", "/api/v0/cs/{csId}/configuration", &maeve_get_configuration},
    ApiRoute{"PATCH", "/api/v0/cs/{csId}/configuration", &maeve_change_configuration},
    ApiRoute{"GET", "/api/v0/cs/{csId}/variables", &maeve_get_variables},
    ApiRoute{"PATCH", "/api/v0/cs/{csId}/variables", &maeve_set_variables},
    ApiRoute{"POST", "/api/v0/cs/{csId}/display-message", &maeve_set_display_message},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/display-message/{messageId}", &maeve_clear_display_message},
    ApiRoute{"GET", "/api/v0/cs/{csId}/display-messages", &maeve_get_display_messages},
    ApiRoute{"POST", "/api/v0/cs/{csId}/monitoring", &maeve_set_variable_monitoring},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/monitoring/{monitorId}", &maeve_clear_variable_monitoring},
    ApiRoute{"POST", "/api/v0/cs/{csId}/monitoring/base", &maeve_set_monitoring_base},
    ApiRoute{"POST", "/api/v0/cs/{csId}/monitoring/level", &maeve_set_monitoring_level},
    ApiRoute{"POST", "/api/v0/cs/{csId}/monitoring/report", &maeve_get_monitoring_report},
    ApiRoute{"POST", "/api/v0/cs/{csId}/charging-profile", &maeve_set_charging_profile},
    ApiRoute{"GET", "/api/v0/cs/{csId}/charging-profile", &maeve_get_charging_profiles},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/charging-profile/{profileId}", &maeve_clear_charging_profile},
    ApiRoute{"GET", "/api/v0/cs/{csId}/composite-schedule", &maeve_get_composite_schedule},
    ApiRoute{"POST", "/api/v0/cs/{csId}/local-list", &maeve_update_local_list},
    ApiRoute{"GET", "/api/v0/cs/{csId}/local-list/version", &maeve_get_local_list_version},
    ApiRoute{"POST", "/api/v0/cs/{csId}/local-list/sync", &sync_local_list},
    ApiRoute{"GET", "/api/v0/cs/{csId}/local-list", &maeve_get_local_list},
    ApiRoute{"POST", "/api/v0/cs/{csId}/reservation", &maeve_create_reservation},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/reservation/{reservationId}", &maeve_cancel_reservation},
    ApiRoute{"GET", "/api/v0/cs/{csId}/reservations", &maeve_list_reservations},
    ApiRoute{"POST", "/api/v0/cs/{csId}/firmware/update", &maeve_update_firmware},
    ApiRoute{"GET", "/api/v0/cs/{csId}/firmware/status", &maeve_firmware_status},
    ApiRoute{"POST", "/api/v0/cs/{csId}/diagnostics", &maeve_request_diagnostics},
    ApiRoute{"GET", "/api/v0/cs/{csId}/diagnostics/status", &maeve_diagnostics_status},
    ApiRoute{"POST", "/api/v0/cs/{csId}/logs", &maeve_request_logs},
    ApiRoute{"GET", "/api/v0/cs/{csId}/logs/status", &maeve_log_status},
    ApiRoute{"GET", "/api/v0/cs/{csId}/status", &maeve_station_status},
    ApiRoute{"GET", "/api/v0/cs/{csId}/connectors", &maeve_connectors},
    ApiRoute{"GET", "/api/v0/cs/{csId}/transactions", &maeve_list_transactions},
    ApiRoute{"GET", "/api/v0/cs/{csId}/transaction/{transactionId}", &maeve_transaction_details},
    ApiRoute{"GET", "/api/v0/cs/{csId}/meter-values", &maeve_meter_values},
    ApiRoute{"GET", "/api/v0/cs/{csId}/reports", &maeve_device_reports},
    // Firmware images the node serves to stations, and what stations uploaded (api_files.cpp)
    ApiRoute{"GET", "/api/v0/firmware", &list_firmware},
    ApiRoute{"PUT", "/api/v0/firmware/{name}", &put_firmware},
    ApiRoute{"GET", "/api/v0/firmware/{name}", &get_firmware},
    ApiRoute{"DELETE", "/api/v0/firmware/{name}", &delete_firmware},
    ApiRoute{"POST", "/api/v0/firmware-rollouts", &start_firmware_rollout},
    ApiRoute{"GET", "/api/v0/firmware-rollouts", &list_firmware_rollouts},
    ApiRoute{"GET", "/api/v0/firmware-rollouts/{rolloutId}", &get_firmware_rollout},
    ApiRoute{"DELETE", "/api/v0/firmware-rollouts/{rolloutId}", &cancel_firmware_rollout},
    ApiRoute{"GET", "/api/v0/cs/{csId}/uploads", &list_station_uploads},
    ApiRoute{"GET", "/api/v0/cs/{csId}/uploads/{name}", &get_station_upload},
    ApiRoute{"DELETE", "/api/v0/cs/{csId}/uploads/{name}", &delete_station_upload},
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
