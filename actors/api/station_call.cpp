#include "actors/api/station_call.hpp"

#include <functional>

#include "actors/messages.hpp"
#include "actors/ocpp_dispatch.hpp"

namespace evbroker::actors::api {
namespace {

using Done = std::function<void(CsmsCallResult)>;

/// Sends `call` to the station's actor and reports what became of it. A call travels to the station
/// actor in a short-lived actor of its own, so no HTTP thread ever waits.
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

}  // namespace

std::optional<StationDirectory::Entry> connected_station(Request& r, const std::string& id) {
  if (!r.ctx->store->read().get(storage::Table::stations, id)) {
    r.respond(error_response(404, "unknown charge station " + id));
    return std::nullopt;
  }
  auto entry = r.ctx->directory->find(id);
  if (!entry) r.respond(error_response(409, "charge station " + id + " is not connected"));
  return entry;
}

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

}  // namespace evbroker::actors::api
