#pragma once
// Shared pieces of the management API handlers: JSON answers, MaEVe-style errors, body parsing,
// paging, and the request context each handler gets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <simdjson.h>

#include "actors/core/node_context.hpp"
#include "actors/station/station_id.hpp"
#include "protocol/transport/http_server.hpp"

namespace evbroker::actors::api {

struct Request {
  transport::HttpRequest http;
  std::vector<std::string> segments;  // percent-decoded path segments after "/api/v0/"
  transport::Responder respond;
  caf::actor_system* system = nullptr;
  NodeContextPtr ctx;
  std::string query_value(std::string_view name) const;
};

std::string_view reason_phrase(int status);
transport::HttpResponse json_response(int status, std::string body);
/// MaEVe's Status shape: {"status": "<reason phrase>", "error": "<message>"}.
transport::HttpResponse error_response(int status, std::string_view message);
transport::HttpResponse empty_response(int status);

/// Parses the body as a JSON object; on failure answers 400 and returns nullopt.
std::optional<simdjson::dom::object> parse_body(Request& request, simdjson::dom::parser& parser);

/// offset (>= 0, default 0) and limit (1..100, default 20); on failure answers 400.
struct Page {
  std::size_t offset = 0;
  std::size_t limit = 20;
};
std::optional<Page> parse_page(Request& request);

/// The query parameter `name` as an RFC 3339 date-time in unix milliseconds (left unset when
/// absent); on a bad value answers 400 and returns false.
bool time_query(Request& r, std::string_view name, std::optional<std::int64_t>& out);

/// The station id of the path (its second segment), validated; answers 400 when invalid.
bool station_id_from_path(Request& r, std::string& id);

// The endpoint groups.
void register_station(Request& r);
void get_station_auth(Request& r);
void set_station_registration(Request& r);
void change_station_password(Request& r);
// Security-profile upgrade (api_security_profile.cpp).
void upgrade_station_security_profile(Request& r);
void get_station_security_profile_upgrade(Request& r);
void cancel_station_security_profile_upgrade(Request& r);
void provision_station(Request& r);
void get_station(Request& r);
void list_stations(Request& r);
void delete_station(Request& r);
void list_events(Request& r);
void list_device_model(Request& r);
void clear_events(Request& r);
void clear_device_model(Request& r);
void clear_idle_meter_values(Request& r);
void reconfigure_station(Request& r);
void trigger_station(Request& r);
void call_station(Request& r);
void set_token(Request& r);
void get_token(Request& r);
void list_tokens(Request& r);
void delete_token(Request& r);
void list_transactions(Request& r);
void get_transaction(Request& r);
void upload_certificate(Request& r);
void get_uploaded_certificate(Request& r);
void delete_uploaded_certificate(Request& r);
void install_station_certificates(Request& r);
void get_station_certificates(Request& r);
void list_installed_certificates(Request& r);
void delete_installed_certificate(Request& r);
// Firmware images served to stations, their uploads (api_files.cpp).
void put_firmware(Request& r);
void list_firmware(Request& r);
void get_firmware(Request& r);
void delete_firmware(Request& r);
void list_station_uploads(Request& r);
void get_station_upload(Request& r);
void delete_station_upload(Request& r);
void start_firmware_rollout(Request& r);
void list_firmware_rollouts(Request& r);
void get_firmware_rollout(Request& r);
void cancel_firmware_rollout(Request& r);

// The maintained MaEVe fork's operations (api_maeve_*.cpp).
void maeve_reset(Request& r);
void maeve_unlock_connector(Request& r);
void maeve_change_availability(Request& r);
void maeve_clear_cache(Request& r);
void maeve_data_transfer(Request& r);
void maeve_remote_start(Request& r);
void maeve_remote_stop(Request& r);
void maeve_delete_station_certificate(Request& r);
void maeve_get_configuration(Request& r);
void maeve_change_configuration(Request& r);
void maeve_get_variables(Request& r);
void maeve_set_variables(Request& r);
void maeve_set_display_message(Request& r);
void maeve_clear_display_message(Request& r);
void maeve_get_display_messages(Request& r);
void maeve_set_variable_monitoring(Request& r);
void maeve_clear_variable_monitoring(Request& r);
void maeve_set_monitoring_base(Request& r);
void maeve_set_monitoring_level(Request& r);
void maeve_get_monitoring_report(Request& r);
void maeve_set_charging_profile(Request& r);
void maeve_get_charging_profiles(Request& r);
void maeve_clear_charging_profile(Request& r);
void maeve_get_composite_schedule(Request& r);
void maeve_update_local_list(Request& r);
void maeve_get_local_list_version(Request& r);
void maeve_get_local_list(Request& r);
void sync_local_list(Request& r);
void maeve_create_reservation(Request& r);
void maeve_cancel_reservation(Request& r);
void maeve_list_reservations(Request& r);
void maeve_update_firmware(Request& r);
void maeve_firmware_status(Request& r);
void maeve_request_diagnostics(Request& r);
void maeve_diagnostics_status(Request& r);
void maeve_request_logs(Request& r);
void maeve_log_status(Request& r);
void maeve_station_status(Request& r);
void maeve_connectors(Request& r);
void maeve_list_transactions(Request& r);
void maeve_transaction_details(Request& r);
void maeve_meter_values(Request& r);
void maeve_device_reports(Request& r);

}  // namespace evbroker::actors::api
