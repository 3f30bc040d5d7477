#include "actors/api/station_call.hpp"

#include <functional>

#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/local_list_calls.hpp"
#include "actors/api/split_send.hpp"
#include "actors/station/call_split.hpp"
#include "actors/station/csms_call.hpp"
#include "actors/core/messages.hpp"
#include "protocol/ocpp_dispatch.hpp"

namespace evbroker::actors::api {
namespace {

/// A failed call's answer: MaEVe's {"status","error"} plus whether the call reached the station
/// ("sent"; absent when that is not known).
transport::HttpResponse call_failure(int status, const CsmsCallResult& result, bool sent_known) {
  const std::string reason(reason_phrase(status));
  if (result.kind == CsmsCallResult::Kind::call_error) {
    return json_response(
        status, ocpp::to_json(bodies::CallError{reason, "the station answered with " + result.error_code, result.sent,
                                                result.error_code, result.error_description, result.error_details}));
  }
  return json_response(
      status, ocpp::to_json(bodies::CallFailure{reason, result.error_description,
                                                sent_known ? std::optional<bool>(result.sent) : std::nullopt}));
}

}  // namespace

transport::HttpResponse call_result_response(const CsmsCallResult& result) {
  switch (result.kind) {
    case CsmsCallResult::Kind::result: return json_response(200, result.payload);
    case CsmsCallResult::Kind::call_error: return call_failure(502, result, true);
    case CsmsCallResult::Kind::invalid_response: return call_failure(502, result, true);
    case CsmsCallResult::Kind::timeout: return call_failure(504, result, true);
    case CsmsCallResult::Kind::disconnected: return call_failure(409, result, true);
    case CsmsCallResult::Kind::queue_full: return call_failure(503, result, true);
    case CsmsCallResult::Kind::not_sent: return call_failure(504, result, true);
    case CsmsCallResult::Kind::not_allowed: return call_failure(409, result, true);
    case CsmsCallResult::Kind::unknown: return call_failure(504, result, false);
  }
  return error_response(500, "unexpected call outcome");
}

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
  auto decoded = decode_request(*action, payload, {.tolerant = false, .max_depth = r.ctx->settings.max_json_depth});
  if (!decoded) return r.respond(error_response(400, decoded.error().message()));
  CsmsCall call{*action, std::move(*decoded)};
  // More items than the station takes in one message: parts, one at a time, one merged answer.
  if (splittable_items(call).value_or(0) > 1)
    return send_in_parts(*r.system, *r.ctx, r.segments.at(1), station.actor, std::move(call),
                         [respond = r.respond](CsmsCallResult result) { respond(call_result_response(result)); });
  call.ticket = next_call_ticket();
  // A client that gives up (closes the connection) withdraws its call if it has not gone out yet.
  if (r.http.watch) {
    r.http.watch->on_abandoned(
        [actor = station.actor, ticket = call.ticket] { caf::anon_send(actor, withdraw_atom::value, ticket); });
  }
  auto effect = local_list_effect(r.segments.at(1), call);
  spawn_csms_call(*r.system, station.actor, std::move(call), r.ctx->settings,
                  [respond = r.respond, system = r.system, ctx = r.ctx, effect](CsmsCallResult result) {
                    if (effect) apply_local_list_effect(*system, ctx, *effect, result);
                    respond(call_result_response(result));
                  });
}

}  // namespace evbroker::actors::api
