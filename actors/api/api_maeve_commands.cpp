// The maintained MaEVe fork's station commands: reset, unlock-connector, availability,
// cache/clear, data-transfer, start/stop-transaction, and deleting an installed certificate.
// Each builds the OCPP request of the station's version (api_maeve.hpp).

#include <charconv>

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"

namespace evbroker::actors::api {

using maeve::Object;

void maeve_reset(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_reset_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  // 2.0.1 has no Soft and Hard: a hard reset is Immediate, a soft one waits for idle (OnIdle).
  const std::string type =
      station->version == ocpp::Version::v16 ? body->type : (body->type == "Hard" ? "Immediate" : "OnIdle");
  maeve::send(r, *station, {"Reset", Object().str("type", type).text()});
}

void maeve_unlock_connector(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_unlock_connector_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  // The fork's connectorId is 1.6's; on 2.0.1 it names the EVSE, whose (first) connector is unlocked.
  const auto payload = station->version == ocpp::Version::v16
                           ? Object().num("connectorId", body->connector_id).text()
                           : Object().num("evseId", body->connector_id).num("connectorId", 1).text();
  maeve::send(r, *station, {"UnlockConnector", payload});
}

void maeve_change_availability(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_change_availability_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  std::string payload;
  if (station->version == ocpp::Version::v16) {
    payload = Object()
                  .num("connectorId", body->connector_id.value_or(body->evse_id.value_or(0)))
                  .str("type", body->type)
                  .text();
  } else {
    // evseId names the EVSE (then connectorId its connector); without it connectorId is the EVSE
    // as on 1.6; 0 or nothing: the whole station.
    Object out;
    out.str("operationalStatus", body->type);
    if (body->evse_id && *body->evse_id > 0) {
      Object evse;
      evse.num("id", *body->evse_id);
      if (body->connector_id && *body->connector_id > 0) evse.num("connectorId", *body->connector_id);
      out.raw("evse", evse.text());
    } else if (body->connector_id && *body->connector_id > 0) {
      out.raw("evse", Object().num("id", *body->connector_id).text());
    }
    payload = out.text();
  }
  maeve::send(r, *station, {"ChangeAvailability", payload});
}

void maeve_clear_cache(Request& r) {
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"ClearCache", "{}"});
}

void maeve_data_transfer(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_data_transfer_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  const auto payload = Object()
                           .str("vendorId", body->vendor_id)
                           .opt_str("messageId", body->message_id)
                           .opt_str("data", body->data)
                           .text();
  // The fork's data is a string; 2.0.1 allows any JSON there: a value that is not a string is
  // given as its JSON text.
  maeve::send(r, *station, {"DataTransfer", payload}, 202, [](simdjson::dom::element answer, std::string_view) {
    Object out;
    std::string_view status;
    if (answer["status"].get(status) == simdjson::SUCCESS) out.str("status", status);
    simdjson::dom::element data;
    if (answer["data"].get(data) == simdjson::SUCCESS) {
      std::string_view text;
      if (data.get(text) == simdjson::SUCCESS)
        out.str("data", text);
      else
        out.str("data", simdjson::minify(data));
    }
    return out.text();
  });
}

void maeve_remote_start(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_remote_start_transaction_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16) {
    Object out;
    out.opt_num("connectorId", body->connector_id).str("idTag", body->id_tag);
    if (body->charging_profile) out.raw("chargingProfile", *body->charging_profile);
    return maeve::send(r, *station, {"RemoteStartTransaction", out.text()});
  }
  // 2.0.1 needs an id for the transaction to refer back to (remoteStartId); the answer gives it.
  const auto remote_start_id = maeve::new_request_id(r);
  Object out;
  out.opt_num("evseId", body->connector_id)
      .num("remoteStartId", remote_start_id)
      .raw("idToken", maeve::central_id_token(body->id_tag));
  if (body->charging_profile) {
    auto profile = maeve::profile_to_201(*body->charging_profile);
    if (profile.empty()) return r.respond(error_response(400, "/chargingProfile: expected an object"));
    out.raw("chargingProfile", profile);
  }
  maeve::send(r, *station, {"RequestStartTransaction", out.text()}, 202,
              [remote_start_id](simdjson::dom::element, std::string_view payload) {
                // The station's answer and the id the node chose.
                std::string answer(payload.substr(0, payload.rfind('}')));
                answer += (answer.size() > 1 ? ",\"remoteStartId\":" : "\"remoteStartId\":") +
                          std::to_string(remote_start_id) + "}";
                return answer;
              });
}

void maeve_remote_stop(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_remote_stop_transaction_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  if (station->version == ocpp::Version::v16) {
    // 1.6 transaction ids are integers (the node assigned them).
    std::int64_t id = 0;
    const auto& text = body->transaction_id;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size())
      return r.respond(
          error_response(400, "/transactionId: an ocpp1.6 transaction id is an integer, got '" + text + "'"));
    return maeve::send(r, *station, {"RemoteStopTransaction", Object().num("transactionId", id).text()});
  }
  maeve::send(r, *station, {"RequestStopTransaction", Object().str("transactionId", body->transaction_id).text()});
}

void maeve_delete_station_certificate(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_certificate_hash_data_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station,
              {"DeleteCertificate", Object().raw("certificateHashData", body->certificate_hash_data).text()});
}

}  // namespace evbroker::actors::api
