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

// The endpoint groups.
void register_station(Request& r);
void get_station_auth(Request& r);
void set_station_registration(Request& r);
void change_station_password(Request& r);
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

}  // namespace evbroker::actors::api
