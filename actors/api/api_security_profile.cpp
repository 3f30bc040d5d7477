// /api/v0/cs/{csId}/security-profile: a station's security profile upgraded as one operation
// (POST), its progress (GET) and its cancellation (DELETE). The run itself, and what the gate does
// while it waits for the station, is actors/station/security_upgrade.hpp.

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/records.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/station/security_upgrade.hpp"

namespace evbroker::actors::api {
namespace {

std::optional<SecurityUpgradeRecord> stored_upgrade(const storage::Reader& reader, const std::string& id) {
  auto stored = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::security_upgrade));
  return stored ? parse_security_upgrade_record(*stored) : std::nullopt;
}

/// The last upgrade of the station the path names; answers 400/404 and gives nullopt when there is
/// none (unknown station, or none asked for).
std::optional<SecurityUpgradeRecord> upgrade_of_path(Request& r, std::string& id) {
  if (!station_id_from_path(r, id)) return std::nullopt;
  auto reader = r.ctx->store->read();
  if (!reader.get(storage::Table::stations, id)) {
    r.respond(error_response(404, "unknown charge station " + id));
    return std::nullopt;
  }
  auto upgrade = stored_upgrade(reader, id);
  if (!upgrade) r.respond(error_response(404, "no security-profile upgrade of " + id + " was asked for"));
  return upgrade;
}

std::string under_way(const std::string& id) {
  return "an upgrade of " + id + " is under way: cancel it first (DELETE)";
}

/// The state as the API tells it: a run stored as under way that no longer runs on this node was
/// ended by a restart.
SecurityUpgradeRecord as_shown(SecurityUpgradeRecord record, const std::string& id) {
  const bool running = record.state == "Running" || record.state == "WaitingForCertificate";
  if (running && !security_upgrade_running(id)) {
    record.state = "Interrupted";
    record.detail = "the node restarted while it ran: start it again";
  }
  return record;
}

/// The body checked against the station, the node and the rules no schema says; "" when it may go.
std::string conflict(const StationRecord& station, const NodeContext& ctx, int to_profile) {
  if (to_profile <= station.security_profile)
    return "the station's security profile is " + std::to_string(station.security_profile) +
           ": an upgrade goes to a higher one";
  if (to_profile == 1 && station.password_hash.empty())
    return "security profile 1 logs in with a password and the station is registered without one: register it "
           "with base64SHA256Password first";
  if (!ctx.takes_wss) return "the node takes no wss connections (--wss-addr, or --trust-proxy behind a TLS proxy)";
  return "";
}

}  // namespace

void upgrade_station_security_profile(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_security_profile_upgrade(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  auto reader = r.ctx->store->read();
  auto stored = reader.get(storage::Table::stations, id);
  auto station = stored ? parse_station_record(*stored) : std::nullopt;
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));

  SecurityUpgradeRequest request;
  request.to_profile = static_cast<int>(decoded->security_profile);
  request.configuration_slot = decoded->configuration_slot.value_or(1);
  request.message_timeout = decoded->message_timeout.value_or(30);
  request.ocpp_interface = decoded->ocpp_interface.value_or("Wired0");
  request.reset = decoded->reset.value_or("OnIdle");
  request.install_csms_root = decoded->install_csms_root.value_or(true);
  request.certificate_timeout_s = decoded->certificate_timeout.value_or(300);
  if (decoded->csms_root_certificate) {
    auto root = pki::Certificate::from_pem(*decoded->csms_root_certificate);
    if (!root) return r.respond(error_response(400, "/csmsRootCertificate: " + root.error()));
    request.csms_root = std::move(*root);
  }
  if (auto problem = conflict(*station, *r.ctx, request.to_profile); !problem.empty())
    return r.respond(error_response(409, problem));
  if (auto previous = stored_upgrade(reader, id);
      security_upgrade_running(id) ||
      (previous && previous->state == "WaitingForReconnect" && station->upgrade_to_profile >= 0))
    return r.respond(error_response(409, under_way(id)));
  auto entry = connected_station(r, id);
  if (!entry) return;
  if (entry->version == ocpp::Version::v201) {
    if (!decoded->ocpp_csms_url)
      return r.respond(error_response(400,
                                      "/ocppCsmsUrl: required for a 2.0.1 station (the wss:// URL it connects "
                                      "to with the new profile)"));
    if (decoded->ocpp_csms_url->rfind("wss://", 0) != 0)
      return r.respond(error_response(400, "/ocppCsmsUrl: security profiles 1 and 2 connect with wss://"));
    request.csms_url = *decoded->ocpp_csms_url;
  }
  auto respond = r.respond;
  if (!start_security_upgrade(*r.system, r.ctx, id, entry->actor, entry->version, station->security_profile,
                              std::move(request),
                              [respond](const std::string& record) { respond(json_response(202, record)); }))
    return r.respond(error_response(409, under_way(id)));
}

void get_station_security_profile_upgrade(Request& r) {
  std::string id;
  auto upgrade = upgrade_of_path(r, id);
  if (!upgrade) return;
  r.respond(json_response(200, to_json(as_shown(*upgrade, id))));
}

void cancel_station_security_profile_upgrade(Request& r) {
  std::string id;
  auto upgrade = upgrade_of_path(r, id);
  if (!upgrade) return;
  if (cancel_running_security_upgrade(id)) {
    upgrade->detail = "being cancelled: the step under way finishes first";
    return r.respond(json_response(200, to_json(*upgrade)));
  }
  auto shown = as_shown(*upgrade, id);
  if (upgrade_finished(shown.state)) return r.respond(error_response(409, "the upgrade is over: " + shown.state));
  // Waiting for the station (or interrupted): the gate stops offering the new profile.
  auto result = std::make_shared<std::optional<std::string>>();
  auto changed = std::make_shared<std::optional<std::string>>();
  r.ctx->committer->submit(
      [id, result, changed, now = r.ctx->clock->now_ms()](storage::WriteTxn& txn) {
        auto stored = txn.get(storage::Table::stations, id);
        auto station = stored ? parse_station_record(*stored) : std::nullopt;
        if (station && station->upgrade_to_profile >= 0) {
          station->upgrade_to_profile = -1;
          *changed = to_json(*station);
          txn.put(storage::Table::stations, id, **changed);
        }
        const auto key = runtime_key(id, RuntimeField::security_upgrade);
        auto record = txn.get(storage::Table::station_runtime, key);
        auto waiting = record ? parse_security_upgrade_record(*record) : std::nullopt;
        if (!waiting || upgrade_finished(waiting->state)) return;  // completed meanwhile
        waiting->state = "Cancelled";
        waiting->detail = "cancelled by the operator";
        waiting->updated_at_ms = waiting->finished_at_ms = now;
        *result = to_json(*waiting);
        txn.put(storage::Table::station_runtime, key, **result);
      },
      [ctx = r.ctx, respond = r.respond, id, result, changed](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the cancellation: " + error));
        if (*changed && ctx->station_changed) ctx->station_changed(id, **changed);
        if (!*result) return respond(error_response(409, "the upgrade ended meanwhile"));
        respond(json_response(200, **result));
      });
}

}  // namespace evbroker::actors::api
