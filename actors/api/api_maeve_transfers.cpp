// The maintained MaEVe fork's firmware, diagnostics and log requests and reservations
// (api_maeve.hpp); its local-list operations are in api_local_lists.cpp.

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/files/file_store.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

/// The station's answer with the request id the node chose added.
maeve::Mapper with_request_id(std::int64_t request_id) {
  return [request_id](simdjson::dom::element, std::string_view payload) {
    std::string out(payload.substr(0, payload.rfind('}')));
    return out + (out.size() > 1 ? "," : "") + "\"requestId\":" + std::to_string(request_id) + "}";
  };
}

std::string now_text(const Request& r) { return ocpp::DateTime::from_unix_ms(r.ctx->clock->now_ms()).to_string(); }

/// Where the station fetches the image: the location given, or the node's URL of a stored image
/// (`firmware`). Answers the error and returns nullopt when neither works.
std::optional<std::string> firmware_location(Request& r, const bodies::MaeveFirmwareUpdateRequest& body) {
  if (body.location && body.firmware) {
    r.respond(error_response(400, "body: give location or firmware, not both"));
    return std::nullopt;
  }
  if (body.location) return body.location;
  if (!body.firmware) {
    r.respond(error_response(400, "body: give location (a URL) or firmware (an image uploaded to the node)"));
    return std::nullopt;
  }
  if (!r.ctx->files) {
    r.respond(error_response(503, "this node serves no files: it runs without --files-addr"));
    return std::nullopt;
  }
  if (!r.ctx->files->firmware_file(*body.firmware)) {
    r.respond(error_response(404, "no firmware image " + *body.firmware + " (PUT /api/v0/firmware/{name})"));
    return std::nullopt;
  }
  return r.ctx->files->firmware_url(*body.firmware);
}

/// Where the station uploads: the location given, or the node's upload URL of that station.
std::optional<std::string> upload_location(Request& r, const std::optional<std::string>& given,
                                           const std::string& station) {
  if (given) return given;
  if (!r.ctx->files) {
    r.respond(error_response(400, "this node takes no uploads (it runs without --files-addr): give the location"));
    return std::nullopt;
  }
  return r.ctx->files->upload_url(station);
}

}  // namespace

void maeve_update_firmware(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_firmware_update_request);
  if (!body) return;
  const auto location = firmware_location(r, *body);
  if (!location) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  const auto retrieve = body->retrieve_date.value_or(now_text(r));
  const bool signed_update = body->signature && body->signing_certificate;
  if (station->version == ocpp::Version::v16 && !signed_update) {
    return maeve::send(r, *station,
                       {"UpdateFirmware", Object()
                                              .str("location", *location)
                                              .opt_num("retries", body->retries)
                                              .str("retrieveDate", retrieve)
                                              .opt_num("retryInterval", body->retry_interval)
                                              .text()});
  }
  // 2.0.1 UpdateFirmware and 1.6's SignedUpdateFirmware have the same shape.
  const auto request_id = maeve::new_request_id(r);
  const auto firmware = Object()
                            .str("location", *location)
                            .str("retrieveDateTime", retrieve)
                            .opt_str("signingCertificate", body->signing_certificate)
                            .opt_str("signature", body->signature)
                            .text();
  maeve::send(r, *station,
              {station->version == ocpp::Version::v16 ? "SignedUpdateFirmware" : "UpdateFirmware",
               Object()
                   .opt_num("retries", body->retries)
                   .opt_num("retryInterval", body->retry_interval)
                   .num("requestId", request_id)
                   .raw("firmware", firmware)
                   .text()},
              202, with_request_id(request_id));
}

void maeve_request_diagnostics(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_diagnostics_request);
  if (!body) return;
  const auto location = upload_location(r, body->location, r.segments.at(1));
  if (!location) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16) {
    return maeve::send(r, *station,
                       {"GetDiagnostics", Object()
                                              .str("location", *location)
                                              .opt_num("retries", body->retries)
                                              .opt_num("retryInterval", body->retry_interval)
                                              .opt_str("startTime", body->start_time)
                                              .opt_str("stopTime", body->stop_time)
                                              .text()});
  }
  // 2.0.1 has no GetDiagnostics: its diagnostics log.
  const auto request_id = maeve::new_request_id(r);
  const auto log = Object()
                       .str("remoteLocation", *location)
                       .opt_str("oldestTimestamp", body->start_time)
                       .opt_str("latestTimestamp", body->stop_time)
                       .text();
  maeve::send(r, *station,
              {"GetLog", Object()
                             .raw("log", log)
                             .str("logType", "DiagnosticsLog")
                             .num("requestId", request_id)
                             .opt_num("retries", body->retries)
                             .opt_num("retryInterval", body->retry_interval)
                             .text()},
              202, with_request_id(request_id));
}

void maeve_request_logs(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_log_request);
  if (!body) return;
  // Without a remoteLocation the station uploads to the node.
  std::string log = body->log;
  simdjson::dom::parser log_parser;
  simdjson::dom::object log_object;
  if (log_parser.parse(log).get(log_object) != simdjson::SUCCESS)
    return r.respond(error_response(400, "/log: expected an object"));
  if (log_object["remoteLocation"].error() == simdjson::NO_SUCH_FIELD) {
    const auto location = upload_location(r, std::nullopt, r.segments.at(1));
    if (!location) return;
    const std::string rest = log.substr(log.find('{') + 1);
    log = Object().str("remoteLocation", *location).text();
    if (rest.find_first_not_of(" \t\r\n}") != std::string::npos) log = log.substr(0, log.size() - 1) + "," + rest;
  }
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  // The fork's body is GetLog's (2.0.1 and the 1.6 security extension alike).
  maeve::send(r, *station,
              {"GetLog", Object()
                             .raw("log", log)
                             .str("logType", body->log_type)
                             .num("requestId", body->request_id)
                             .opt_num("retries", body->retries)
                             .opt_num("retryInterval", body->retry_interval)
                             .text()});
}

}  // namespace evbroker::actors::api
