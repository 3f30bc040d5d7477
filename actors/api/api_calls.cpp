// Commands to stations: any CSMS-initiated action (POST /api/v0/cs/{csId}/call/{Action}), MaEVe's
// trigger and reconfigure. The sending itself is station_call.cpp's.

#include <algorithm>

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/core/messages.hpp"
#include "actors/station/settings.hpp"
#include "protocol/ocpp16/types.hpp"

namespace evbroker::actors::api {
namespace {

/// A CSMS call to make, before validation.
struct TriggerCall {
  std::string_view action;
  std::string payload;
};

std::string requested_message(std::string_view value) {
  std::string payload;
  ocpp::JsonWriter w(payload);
  w.raw("{\"requestedMessage\":");
  w.string(value);
  w.raw('}');
  return payload;
}

constexpr std::string_view kSupported16 =
    "BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat, MeterValues, "
    "StatusNotification, LogStatusNotification, SignChargingStationCertificate, SignV2GCertificate, "
    "SignCombinedCertificate";

/// MaEVe's trigger names are the requestedMessage values of 2.0.1's TriggerMessage. A 1.6 station
/// has three ways to be asked: TriggerMessage for the core messages, the security extension's
/// ExtendedTriggerMessage for its station certificate and log status, and for ISO 15118 (V2G)
/// certificates the Plug & Charge DataTransfer whose data is the 2.0.1 TriggerMessage payload (1.6
/// has no V2G trigger of its own; a combined renewal is the V2G one there, since the station
/// certificate has its own trigger).
std::optional<TriggerCall> trigger_call_16(std::string_view trigger) {
  ocpp16::MessageTrigger core{};
  if (ocpp16::parse_enum(trigger, core)) return TriggerCall{"TriggerMessage", requested_message(trigger)};
  if (trigger == "SignChargingStationCertificate")
    return TriggerCall{"ExtendedTriggerMessage", requested_message("SignChargePointCertificate")};
  if (trigger == "LogStatusNotification") return TriggerCall{"ExtendedTriggerMessage", requested_message(trigger)};
  if (trigger == "SignV2GCertificate" || trigger == "SignCombinedCertificate") {
    std::string payload;
    ocpp::JsonWriter w(payload);
    w.raw("{\"vendorId\":\"org.openchargealliance.iso15118pnc\",\"messageId\":\"TriggerMessage\",\"data\":");
    w.string(requested_message("SignV2GCertificate"));
    w.raw('}');
    return TriggerCall{"DataTransfer", std::move(payload)};
  }
  return std::nullopt;
}

}  // namespace

void call_station(Request& r) {
  const std::string id = r.segments.at(1);
  auto station = connected_station(r, id);
  if (!station) return;
  validate_and_send(r, *station, r.segments.at(3), r.http.body);
}

void trigger_station(Request& r) {
  const std::string id = r.segments.at(1);
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_charge_station_trigger(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  const std::string& trigger = decoded->trigger;
  auto station = connected_station(r, id);
  if (!station) return;
  if (station->version != ocpp::Version::v16)
    return validate_and_send(r, *station, "TriggerMessage", requested_message(trigger));
  auto call = trigger_call_16(trigger);
  if (!call)
    return r.respond(
        error_response(400, "/trigger: " + trigger +
                                " cannot be triggered on an ocpp1.6 station; supported: " + std::string(kSupported16)));
  validate_and_send(r, *station, call->action, call->payload);
}

void reconfigure_station(Request& r) {
  const std::string id = r.segments.at(1);
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  if (!r.ctx->store->read().get(storage::Table::stations, id))
    return r.respond(error_response(404, "unknown charge station " + id));
  auto decoded = bodies::decode_charge_station_settings(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  std::vector<PendingSetting> settings;
  for (auto& [key, value] : decoded->settings) {
    // A bound on names, which OpenAPI 3.0 cannot put in the schema (no propertyNames).
    if (key.empty() || key.size() > 500) return r.respond(error_response(400, "setting names are 1 to 500 characters"));
    settings.push_back({std::move(key), std::move(value)});
  }
  // Pending settings are a set per station (the latest value per key wins), bounded: a key given
  // again replaces its pending value and takes no new room.
  {
    auto reader = r.ctx->store->read();
    const auto pending = pending_settings(reader, id);
    std::size_t added = 0;
    for (const auto& s : settings)
      if (std::none_of(pending.begin(), pending.end(), [&](const PendingSetting& p) { return p.key == s.key; }))
        ++added;
    const auto limit = r.ctx->settings.max_pending_settings;
    if (pending.size() + added > limit)
      return r.respond(error_response(409, "charge station " + id + " has " + std::to_string(pending.size()) +
                                               " settings waiting to be applied; " + std::to_string(added) +
                                               " more would exceed the limit of " + std::to_string(limit) +
                                               " (--max-pending-settings): wait until the station has taken them"));
  }
  // 2.0.1 keys must name a component and a variable; check them all when the version is known
  // (a station never seen yet may turn out to be either, so its keys are checked at push time).
  auto entry = r.ctx->directory->find(id);
  if (entry && entry->version == ocpp::Version::v201) {
    for (const auto& s : settings) {
      std::string error;
      if (!parse_setting_key(s.key, error)) return r.respond(error_response(400, error));
    }
  }
  auto respond = r.respond;
  auto ctx = r.ctx;
  ctx->committer->submit(
      [id, settings, at = ctx->clock->now_ms()](storage::WriteTxn& txn) {
        for (const auto& s : settings)
          txn.put(storage::Table::settings, setting_key(id, s.key), setting_record(s.value, "Pending", at));
      },
      [respond, ctx, id](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the settings: " + error));
        if (auto station = ctx->directory->find(id)) caf::anon_send(station->actor, push_atom::value);
        respond(json_response(200, ocpp::to_json(bodies::Status{"OK", std::nullopt})));
      });
}

}  // namespace evbroker::actors::api
