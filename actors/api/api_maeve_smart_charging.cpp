// The maintained MaEVe fork's smart charging operations: charging profiles and the composite
// schedule (api_maeve.hpp). The fork's profiles are 1.6's; a 2.0.1 station gets them converted.

#include <algorithm>

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

std::string purpose_201(std::string_view purpose) {
  return purpose == "ChargePointMaxProfile" ? "ChargingStationMaxProfile" : std::string(purpose);
}

}  // namespace

namespace maeve {

std::string profile_to_201(std::string_view profile) {
  simdjson::dom::parser parser;
  simdjson::dom::object in;
  if (parser.parse(profile.data(), profile.size()).get(in) != simdjson::SUCCESS) return {};
  std::string out = "{";
  auto member = [&](std::string_view name, const std::string& json) {
    if (out.size() > 1) out += ',';
    out += maeve::quoted(name) + ":" + json;
  };
  for (auto [key, value] : in) {
    if (key == "chargingProfileId") {
      member("id", simdjson::minify(value));
    } else if (key == "transactionId") {
      member("transactionId", maeve::quoted(simdjson::minify(value)));
    } else if (key == "chargingProfilePurpose") {
      std::string_view purpose;
      if (value.get(purpose) == simdjson::SUCCESS)
        member(key, maeve::quoted(purpose_201(purpose)));
      else
        member(key, simdjson::minify(value));
    } else if (key == "chargingSchedule") {
      std::string schedule = simdjson::minify(value);
      if (value.is_object()) schedule = "{\"id\":1," + schedule.substr(1);
      if (schedule == "{\"id\":1,}") schedule = "{\"id\":1}";
      member(key, "[" + schedule + "]");
    } else {
      member(key, simdjson::minify(value));
    }
  }
  return out + "}";
}

}  // namespace maeve

void maeve_set_charging_profile(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_set_charging_profile_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16)
    return maeve::send(
        r, *station,
        {"SetChargingProfile",
         Object().num("connectorId", body->connector_id).raw("csChargingProfiles", body->cs_charging_profiles).text()});
  auto profile = maeve::profile_to_201(body->cs_charging_profiles);
  if (profile.empty()) return r.respond(error_response(400, "/csChargingProfiles: expected an object"));
  maeve::send(
      r, *station,
      {"SetChargingProfile", Object().num("evseId", body->connector_id).raw("chargingProfile", profile).text()});
}

namespace {

/// A 2.0.1 ChargingProfileType as the fork's ChargingProfileWithConnector (1.6's shape): id ->
/// chargingProfileId, ChargingStationMaxProfile -> ChargePointMaxProfile, the first schedule.
std::string profile_from_201(simdjson::dom::object profile, std::int64_t evse) {
  std::string out = "{\"connectorId\":" + std::to_string(evse);
  for (auto [key, value] : profile) {
    std::string json = simdjson::minify(value);
    std::string name(key);
    if (key == "id") {
      name = "chargingProfileId";
    } else if (key == "chargingProfilePurpose") {
      std::string_view purpose;
      if (value.get(purpose) == simdjson::SUCCESS && purpose == "ChargingStationMaxProfile")
        json = "\"ChargePointMaxProfile\"";
    } else if (key == "chargingSchedule") {
      simdjson::dom::array schedules;
      simdjson::dom::object first;
      if (value.get(schedules) == simdjson::SUCCESS && schedules.size() > 0 &&
          schedules.at(0).get(first) == simdjson::SUCCESS) {
        json = "{";
        for (auto [k, v] : first) {
          if (k == "id") continue;
          if (json.size() > 1) json += ',';
          json += maeve::quoted(k) + ":" + simdjson::minify(v);
        }
        json += "}";
      }
    }
    out += "," + maeve::quoted(name) + ":" + json;
  }
  return out + "}";
}

/// The profiles the station reported in ReportChargingProfiles (kept as events), newest report
/// first, one per EVSE and profile id, that match the criteria.
std::vector<std::string> reported_profiles(const NodeContext& ctx, const std::string& id,
                                           std::optional<std::int64_t> evse_wanted, const std::string& purpose,
                                           std::optional<std::int64_t> stack_level) {
  std::vector<std::string> out;
  std::vector<std::pair<std::int64_t, std::int64_t>> seen;
  simdjson::dom::parser parser, payload_parser;
  ctx.store->read().scan_reverse(
      storage::Table::events, storage::prefix({id}), [&](std::string_view, std::string_view value) {
        simdjson::dom::element event;
        std::string_view type, payload;
        if (parser.parse(value).get(event) || event["type"].get(type) || type != "ReportChargingProfiles") return true;
        simdjson::dom::element report;
        simdjson::dom::element stored_payload;
        if (event["payload"].get(stored_payload)) return true;
        // The payload is kept as the station sent it: an object (or its text).
        if (stored_payload.get(payload) == simdjson::SUCCESS) {
          if (payload_parser.parse(payload).get(report)) return true;
        } else {
          report = stored_payload;
        }
        std::int64_t evse = 0;
        simdjson::dom::array profiles;
        if (report["evseId"].get(evse) || report["chargingProfile"].get(profiles)) return true;
        if (evse_wanted && *evse_wanted != evse) return true;
        for (auto element : profiles) {
          simdjson::dom::object profile;
          std::int64_t profile_id = 0;
          if (element.get(profile) || profile["id"].get(profile_id)) continue;
          std::string_view p;
          if (!purpose.empty() && (profile["chargingProfilePurpose"].get(p) || purpose_201(purpose) != p)) continue;
          std::int64_t level = 0;
          if (stack_level && (profile["stackLevel"].get(level) || level != *stack_level)) continue;
          if (std::find(seen.begin(), seen.end(), std::pair{evse, profile_id}) != seen.end()) continue;
          seen.emplace_back(evse, profile_id);
          out.push_back(profile_from_201(profile, evse));
        }
        return true;
      });
  return out;
}

}  // namespace

void maeve_get_charging_profiles(Request& r) {
  bool bad = false;
  const auto connector = maeve::query_int(r, "connectorId", 0, 2147483647, bad);
  if (bad) return;
  const auto stack_level = maeve::query_int(r, "stackLevel", 0, 2147483647, bad);
  if (bad) return;
  const auto purpose = r.query_value("chargingProfilePurpose");
  const std::string id = r.segments.at(1);
  auto station = connected_station(r, id);
  if (!station) return;
  // 2.0.1 only (1.6 has no GetChargingProfiles: 400). The station reports its profiles in
  // ReportChargingProfiles after answering, kept as events: the answer has the station's status,
  // the request id, and the profiles it reported until then (from earlier requests).
  const auto request_id = maeve::new_request_id(r);
  Object criteria;
  if (!purpose.empty()) criteria.str("chargingProfilePurpose", purpose_201(purpose));
  criteria.opt_num("stackLevel", stack_level);
  Object out;
  out.num("requestId", request_id).opt_num("evseId", connector).raw("chargingProfile", criteria.text());
  maeve::send(
      r, *station, {"GetChargingProfiles", out.text()}, 200,
      [request_id, ctx = r.ctx, id, connector, purpose, stack_level](simdjson::dom::element answer, std::string_view) {
        std::string_view status;
        if (answer["status"].get(status)) status = {};
        return Object()
            .raw("profiles", maeve::array(reported_profiles(*ctx, id, connector, purpose, stack_level)))
            .str("status", status)
            .num("requestId", request_id)
            .text();
      });
}

void maeve_clear_charging_profile(Request& r) {
  auto id = maeve::path_int(r, 3, "profileId");
  if (!id) return;
  bool bad = false;
  const auto connector = maeve::query_int(r, "connectorId", 0, 2147483647, bad);
  if (bad) return;
  const auto stack_level = maeve::query_int(r, "stackLevel", 0, 2147483647, bad);
  if (bad) return;
  const auto purpose = r.query_value("chargingProfilePurpose");
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16) {
    Object out;
    out.num("id", *id).opt_num("connectorId", connector).opt_num("stackLevel", stack_level);
    if (!purpose.empty()) out.str("chargingProfilePurpose", purpose);
    return maeve::send(r, *station, {"ClearChargingProfile", out.text()});
  }
  Object criteria;
  criteria.opt_num("evseId", connector).opt_num("stackLevel", stack_level);
  if (!purpose.empty()) criteria.str("chargingProfilePurpose", purpose_201(purpose));
  Object out;
  out.num("chargingProfileId", *id);
  if (criteria.text() != "{}") out.raw("chargingProfileCriteria", criteria.text());
  maeve::send(r, *station, {"ClearChargingProfile", out.text()});
}

void maeve_get_composite_schedule(Request& r) {
  bool bad = false;
  const auto connector = maeve::query_int(r, "connectorId", 0, 2147483647, bad);
  if (bad) return;
  if (!connector) return r.respond(error_response(400, "connectorId: required"));
  const auto duration = maeve::query_int(r, "duration", 1, 2147483647, bad).value_or(3600);
  if (bad) return;
  auto unit = r.query_value("chargingRateUnit");
  if (unit.empty()) unit = "A";
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16) {
    // 1.6's answer has the fork's members (connectorId, scheduleStart, chargingSchedule) and its status.
    return maeve::send(
        r, *station,
        {"GetCompositeSchedule",
         Object().num("connectorId", *connector).num("duration", duration).str("chargingRateUnit", unit).text()},
        200);
  }
  maeve::send(r, *station,
              {"GetCompositeSchedule",
               Object().num("duration", duration).str("chargingRateUnit", unit).num("evseId", *connector).text()},
              200, [connector = *connector](simdjson::dom::element answer, std::string_view) {
                Object out;
                std::string_view status;
                if (answer["status"].get(status)) status = {};
                out.str("status", status);
                simdjson::dom::object schedule;
                if (answer["schedule"].get(schedule) == simdjson::SUCCESS) {
                  // 2.0.1's CompositeScheduleType as the fork's CompositeSchedule.
                  out.num("connectorId", connector);
                  std::string_view start;
                  if (schedule["scheduleStart"].get(start) == simdjson::SUCCESS) out.str("scheduleStart", start);
                  Object inner;
                  std::int64_t seconds = 0;
                  if (schedule["duration"].get(seconds) == simdjson::SUCCESS) inner.num("duration", seconds);
                  if (!start.empty()) inner.str("startSchedule", start);
                  std::string_view rate;
                  if (schedule["chargingRateUnit"].get(rate) == simdjson::SUCCESS) inner.str("chargingRateUnit", rate);
                  simdjson::dom::element periods;
                  if (schedule["chargingSchedulePeriod"].get(periods) == simdjson::SUCCESS)
                    inner.raw("chargingSchedulePeriod", simdjson::minify(periods));
                  out.raw("chargingSchedule", inner.text());
                }
                return out.text();
              });
}

}  // namespace evbroker::actors::api
