// Commands to stations: any CSMS-initiated action (POST /api/v0/cs/{csId}/call/{Action}), MaEVe's
// trigger and reconfigure. A call travels to the station actor in a short-lived actor of its own,
// so no HTTP thread ever waits.

#include <spdlog/spdlog.h>

#include "actors/api/api_support.hpp"
#include "actors/handlers/handler_support.hpp"
#include "actors/messages.hpp"
#include "actors/ocpp_dispatch.hpp"
#include "actors/settings.hpp"

namespace evbroker::actors::api {
namespace {

using Done = std::function<void(CsmsCallResult)>;

/// Sends `call` to the station's actor and reports what became of it.
void send_to_station(caf::actor_system& system, const caf::actor& station, CsmsCall call,
                     std::chrono::seconds call_timeout, Done done) {
  // The station actor answers within call_timeout (its own timer) or when the station goes away;
  // the request timeout here only guards against a lost actor.
  // Everything goes in as spawn arguments: CAF 0.17 dereferences a null argument tuple when a
  // function actor takes none (UBSan reports it; TOOLCHAIN.md).
  const caf::timespan guard = call_timeout + std::chrono::seconds(10);
  system.spawn(
      [](caf::event_based_actor* self, caf::actor target, CsmsCall message, caf::timespan deadline, Done report) {
        self->request(target, deadline, csms_call_atom::value, std::move(message))
            .then([report](CsmsCallResult& result) { report(std::move(result)); },
                  [report](caf::error& error) {
                    CsmsCallResult result;
                    result.kind = CsmsCallResult::Kind::disconnected;
                    result.error_description = "the station's connection ended: " + to_string(error);
                    report(std::move(result));
                  });
      },
      station, std::move(call), guard, std::move(done));
}

transport::HttpResponse to_http(const CsmsCallResult& result) {
  switch (result.kind) {
    case CsmsCallResult::Kind::result: return json_response(200, result.payload);
    case CsmsCallResult::Kind::call_error: {
      std::string body;
      ocpp::JsonWriter w(body);
      w.raw("{\"status\":\"Bad Gateway\",\"error\":");
      w.string("the station answered with " + result.error_code);
      w.raw(",\"error_code\":");
      w.string(result.error_code);
      w.raw(",\"error_description\":");
      w.string(result.error_description);
      w.raw(",\"error_details\":");
      w.raw(result.error_details.empty() ? std::string_view("{}") : std::string_view(result.error_details));
      w.raw('}');
      return json_response(502, std::move(body));
    }
    case CsmsCallResult::Kind::invalid_response: return error_response(502, result.error_description);
    case CsmsCallResult::Kind::timeout: return error_response(504, result.error_description);
    case CsmsCallResult::Kind::disconnected: return error_response(409, result.error_description);
    case CsmsCallResult::Kind::queue_full: return error_response(503, result.error_description);
  }
  return error_response(500, "unexpected call outcome");
}

/// The connected station, or an answer: 404 when unknown, 409 when not connected.
std::optional<StationDirectory::Entry> connected_station(Request& r, const std::string& id) {
  if (!r.ctx->store->read().get(storage::Table::stations, id)) {
    r.respond(error_response(404, "unknown charge station " + id));
    return std::nullopt;
  }
  auto entry = r.ctx->directory->find(id);
  if (!entry) r.respond(error_response(409, "charge station " + id + " is not connected"));
  return entry;
}

/// Validates `payload` as the request of `action_name` for the station's version and sends it.
void validate_and_send(Request& r, const StationDirectory::Entry& station, std::string_view action_name,
                       std::string_view payload) {
  auto action = find_action(station.version, action_name);
  const std::string version(ocpp::subprotocol(station.version));
  if (!action) return r.respond(error_response(400, std::string(action_name) + " is not an action of " + version));
  if (!ocpp::csms_may_call(*action->info))
    return r.respond(error_response(400, std::string(action_name) + " is sent by charging stations, not by the CSMS"));
  auto decoded = decode_request(*action, payload);
  if (!decoded) return r.respond(error_response(400, decoded.error().message()));
  send_to_station(*r.system, station.actor, CsmsCall{std::string(action_name), encode_request(*decoded)},
                  r.ctx->settings.call_timeout, [respond = r.respond](CsmsCallResult result) { respond(to_http(result)); });
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
  std::string_view trigger;
  if ((*body)["trigger"].get(trigger) != simdjson::SUCCESS)
    return r.respond(error_response(400, "/trigger: missing required property (a string)"));
  for (auto [key, value] : *body)
    if (key != "trigger") return r.respond(error_response(400, "/" + std::string(key) + ": unknown property"));
  auto station = connected_station(r, id);
  if (!station) return;
  // MaEVe's trigger names are TriggerMessage's requestedMessage values of 2.0.1; 1.6 spells the
  // certificate ones through ExtendedTriggerMessage, which arrives with the PKI issue.
  std::string payload;
  ocpp::JsonWriter w(payload);
  w.raw("{\"requestedMessage\":");
  w.string(trigger);
  w.raw('}');
  validate_and_send(r, *station, "TriggerMessage", payload);
}

void reconfigure_station(Request& r) {
  const std::string id = r.segments.at(1);
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  if (!r.ctx->store->read().get(storage::Table::stations, id))
    return r.respond(error_response(404, "unknown charge station " + id));
  std::vector<PendingSetting> settings;
  for (auto [key, value] : *body) {
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS)
      return r.respond(error_response(400, "/" + std::string(key) + ": expected a string value"));
    if (text.size() > 1000) return r.respond(error_response(400, "/" + std::string(key) + ": longer than 1000 characters"));
    if (key.empty() || key.size() > 500) return r.respond(error_response(400, "setting names are 1 to 500 characters"));
    settings.push_back({std::string(key), std::string(text)});
  }
  if (settings.empty()) return r.respond(error_response(400, "no settings given"));
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
      [id, settings](storage::WriteTxn& txn) {
        for (const auto& s : settings) txn.put(storage::Table::settings, setting_key(id, s.key), setting_record(s.value, "Pending"));
      },
      [respond, ctx, id](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the settings: " + error));
        if (auto station = ctx->directory->find(id)) caf::anon_send(station->actor, push_atom::value);
        respond(json_response(200, "{\"status\":\"OK\"}"));
      });
}

}  // namespace evbroker::actors::api
