// Reservations through the maintained MaEVe fork's operations (create, cancel, list), kept by the
// node (actors/records/reservations.hpp; docs/api.md "Reservations"). A reservation is stored
// before its ReserveNow goes out, so that whatever the station does with it next (a transaction
// on it, a ReservationStatusUpdate) finds it; the station's answer then becomes its status.

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/reservations.hpp"
#include "actors/station/csms_call.hpp"
#include "actors/station/local_list.hpp"
#include "protocol/date_time.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

std::string api_time(std::int64_t ms) { return ocpp::DateTime::from_unix_ms(ms).to_string(); }

/// A reservation in the fork's ReservationResponse shape, with evbroker's members.
std::string reservation_json(const ReservationRecord& r, std::int64_t now_ms) {
  Object out;
  out.num("reservationId", r.reservation_id)
      .num("connectorId", r.connector_id)
      .str("expiryDate", api_time(r.expiry_ms))
      .str("idTag", r.id_tag)
      .opt_str("parentIdTag", r.parent_id_tag)
      .str("status", reservation_status(r, now_ms))
      .str("createdAt", api_time(r.created_at_ms));
  if (!r.connector_type.empty()) out.str("connectorType", r.connector_type);
  out.opt_str("transactionId", r.transaction_id);
  if (!r.detail.empty()) out.str("detail", r.detail);
  return out.str("updatedAt", api_time(r.updated_at_ms)).text();
}

/// The 2.0.1 type a reservation's token goes with: that of the registered token (a station compares
/// the type too), else Central.
std::string token_type_for(const storage::Reader& reader, const std::string& id_tag) {
  auto stored = reader.get(storage::Table::tokens, id_tag);
  auto token = stored ? parse_token_record(*stored) : std::nullopt;
  return std::string(token ? id_token_type(token->type) : "Central");
}

CsmsCall reserve_now_call(ocpp::Version version, const ReservationRecord& r) {
  if (version == ocpp::Version::v16) {
    ocpp16::ReserveNowRequest request;
    request.connectorId = r.connector_id;
    request.expiryDate = ocpp::DateTime::from_unix_ms(r.expiry_ms);
    request.idTag = r.id_tag;
    request.parentIdTag = r.parent_id_tag;
    request.reservationId = r.reservation_id;
    return CsmsCall::of(std::move(request));
  }
  ocpp201::ReserveNowRequest request;
  request.id = r.reservation_id;
  request.expiryDateTime = ocpp::DateTime::from_unix_ms(r.expiry_ms);
  request.idToken.idToken = r.id_tag;
  ocpp201::parse_enum(r.id_token_type, request.idToken.type);
  if (r.connector_id > 0) request.evseId = r.connector_id;
  if (!r.connector_type.empty()) {
    ocpp201::ConnectorEnumType type{};
    if (ocpp201::parse_enum(r.connector_type, type)) request.connectorType = type;
  }
  if (r.parent_id_tag) {
    ocpp201::IdTokenType group;
    group.idToken = *r.parent_id_tag;
    group.type = ocpp201::IdTokenEnumType::Central;
    request.groupIdToken = std::move(group);
  }
  return CsmsCall::of(std::move(request));
}

/// Whether the call may have reached the station (then the reservation may be on it).
bool maybe_sent(const CsmsCallResult& result) {
  using K = CsmsCallResult::Kind;
  switch (result.kind) {
    case K::result:
    case K::call_error:
    case K::invalid_response:
    case K::timeout:
    case K::unknown: return true;
    case K::disconnected: return result.sent;
    default: return false;
  }
}

std::string status_of(const CsmsCallResult& result) {
  return result.kind == CsmsCallResult::Kind::result ? maeve::string_member(result.payload, "status").value_or("")
                                                     : std::string();
}

/// Changes the stored reservation with `change` (not when it is gone, or was replaced since:
/// `created_at_ms` tells), then runs `done`.
void update_reservation(const NodeContextPtr& ctx, const std::string& station, std::int64_t id,
                        std::int64_t created_at_ms, std::function<void(ReservationRecord&)> change,
                        std::function<void(const std::string& error)> done) {
  ctx->committer->submit(
      [station, id, created_at_ms, change = std::move(change), now = ctx->clock->now_ms()](storage::WriteTxn& txn) {
        auto record = load_reservation(txn, station, id);
        if (!record || record->created_at_ms != created_at_ms) return;
        change(*record);
        record->updated_at_ms = now;
        txn.put(storage::Table::station_runtime, reservation_key(station, id), to_json(*record));
      },
      std::move(done));
}

}  // namespace

void maeve_create_reservation(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_reservation_request);
  if (!body) return;
  const auto id = r.segments.at(1);
  auto station = connected_station(r, id);
  if (!station) return;
  const auto now = r.ctx->clock->now_ms();
  auto expiry = ocpp::DateTime::parse(body->expiry_date);
  if (!expiry) return r.respond(error_response(400, "/expiryDate: expected an RFC 3339 date-time"));
  if (expiry->unix_ms() <= now)
    return r.respond(error_response(400, "/expiryDate: " + body->expiry_date + " is not in the future"));
  if (body->connector_type && station->version == ocpp::Version::v16)
    return r.respond(error_response(400, "/connectorType: OCPP 1.6 reserves connectors, not connector types"));

  ReservationRecord record;
  record.reservation_id = body->reservation_id;
  record.connector_id = body->connector_id;
  record.connector_type = body->connector_type.value_or("");
  record.id_tag = body->id_tag;
  if (station->version != ocpp::Version::v16) record.id_token_type = token_type_for(r.ctx->store->read(), body->id_tag);
  record.parent_id_tag = body->parent_id_tag;
  record.expiry_ms = expiry->unix_ms();
  record.created_at_ms = now;
  record.updated_at_ms = now;

  auto ctx = r.ctx;
  auto respond = r.respond;
  auto* system = r.system;
  auto entry = *station;
  auto stored = std::make_shared<bool>(false);
  ctx->committer->submit(
      [id, record, stored, now](storage::WriteTxn& txn) { *stored = store_reservation(txn, id, record, now); },
      [ctx, respond, system, entry, id, record, stored](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the reservation: " + error));
        if (!*stored)
          return respond(error_response(409, "charge station " + id + " holds " +
                                                 std::to_string(kMaxReservationsPerStation) +
                                                 " reservations that have not ended: cancel some first"));
        spawn_csms_call(
            *system, entry.actor, reserve_now_call(entry.version, record), ctx->settings,
            [ctx, respond, id, record](CsmsCallResult result) {
              const auto status = status_of(result);
              const bool sent = maybe_sent(result);
              update_reservation(
                  ctx, id, record.reservation_id, record.created_at_ms,
                  [status, sent, result](ReservationRecord& stored_record) {
                    if (!status.empty()) {
                      stored_record.status = status;
                    } else if (result.kind == CsmsCallResult::Kind::call_error) {
                      stored_record.status = "Rejected";
                      stored_record.detail =
                          "ReserveNow got CALLERROR " + result.error_code + ": " + result.error_description;
                    } else {
                      stored_record.status = sent ? "Requested" : "Rejected";
                      stored_record.detail = sent ? "ReserveNow got no answer: the station may hold it"
                                                  : "ReserveNow was not sent: " + result.error_description;
                    }
                  },
                  [respond, result](const std::string& store_error) {
                    if (!store_error.empty())
                      return respond(error_response(500, "the station answered, storing it failed: " + store_error));
                    if (result.kind != CsmsCallResult::Kind::result) return respond(call_result_response(result));
                    respond(json_response(202, result.payload));
                  });
            });
      });
}

void maeve_cancel_reservation(Request& r) {
  auto reservation_id = maeve::path_int(r, 3, "reservationId");
  if (!reservation_id) return;
  const auto id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!reader.get(storage::Table::stations, id)) return r.respond(error_response(404, "unknown charge station " + id));
  auto record = load_reservation(reader, id, *reservation_id);
  if (!record)
    return r.respond(error_response(
        404, "charge station " + id + " has no reservation " + std::to_string(*reservation_id) + " made by the node"));
  const auto now = r.ctx->clock->now_ms();
  if (!reservation_active(*record, now))
    return r.respond(error_response(
        409, "reservation " + std::to_string(*reservation_id) + " has ended: " + reservation_status(*record, now)));
  auto station = connected_station(r, id);
  if (!station) return;
  ocpp16::CancelReservationRequest cancel16;
  cancel16.reservationId = *reservation_id;
  ocpp201::CancelReservationRequest cancel201;
  cancel201.reservationId = *reservation_id;
  auto call = station->version == ocpp::Version::v16 ? CsmsCall::of(cancel16) : CsmsCall::of(cancel201);
  spawn_csms_call(
      *r.system, station->actor, std::move(call), r.ctx->settings,
      [ctx = r.ctx, respond = r.respond, id, record = *record](CsmsCallResult result) {
        if (result.kind != CsmsCallResult::Kind::result) return respond(call_result_response(result));
        const auto status = status_of(result);
        update_reservation(
            ctx, id, record.reservation_id, record.created_at_ms,
            [status](ReservationRecord& stored_record) {
              if (status == "Accepted") {
                stored_record.status = "Cancelled";
                stored_record.detail.clear();
              } else {
                stored_record.status = "Removed";
                stored_record.detail = "the station holds no such reservation (CancelReservation " + status + ")";
              }
            },
            [respond, result](const std::string& store_error) {
              if (!store_error.empty())
                return respond(error_response(500, "the station answered, storing it failed: " + store_error));
              respond(json_response(202, result.payload));
            });
      });
}

void maeve_list_reservations(Request& r) {
  const auto id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!reader.get(storage::Table::stations, id)) return r.respond(error_response(404, "unknown charge station " + id));
  auto which = r.query_value("status");
  if (which.empty()) which = "active";
  if (which != "active" && which != "expired" && which != "all")
    return r.respond(error_response(400, "status: expected active, expired or all, got '" + which + "'"));
  const auto now = r.ctx->clock->now_ms();
  std::vector<std::string> out;
  for (const auto& reservation : station_reservations(reader, id)) {
    const bool shown = which == "all" || (which == "active" && reservation_active(reservation, now)) ||
                       (which == "expired" && reservation_status(reservation, now) == "Expired");
    if (shown) out.push_back(reservation_json(reservation, now));
  }
  r.respond(json_response(200, Object().raw("reservations", maeve::array(out)).text()));
}

}  // namespace evbroker::actors::api
