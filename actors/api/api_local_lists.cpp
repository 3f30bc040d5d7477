// The local authorization lists of stations: the maintained MaEVe fork's operations (update,
// version, list) and evbroker's synchronisation (docs/api.md "Local authorization lists"). The
// node keeps the list of every station tokens are assigned to (station/local_list.hpp); the fork's
// update is relayed for the others, as MaEVe does.

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/local_list_calls.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/station/local_list_sync.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

/// The fork's update accepted by a station the node kept a list on (its tokens were unassigned
/// since): the list is the operator's now, and the node forgets its own (else its next
/// synchronisation would empty it). Given as the answer's mapper, which sees the station's answer.
maeve::Mapper operator_took_over(const Request& r, const std::string& id) {
  return [ctx = r.ctx, id](simdjson::dom::element answer, std::string_view payload) {
    std::string_view status;
    if (answer["status"].get(status) == simdjson::SUCCESS && status == "Accepted" &&
        local_list_record(ctx->store->read(), id)) {
      ctx->committer->submit(
          [id](storage::WriteTxn& txn) {
            txn.del(storage::Table::station_runtime, local_list_key(id));
            txn.del_prefix(storage::Table::station_runtime, storage::prefix({id, "localListEntry"}));
          },
          [ctx, id](const std::string& error) {
            if (!error.empty()) ctx->station_log->warn("{}: forgetting its local list failed: {}", id, error);
          });
    }
    return std::string(payload);
  };
}

/// The version the station speaks: of its connection now, else of its last one.
ocpp::Version station_version(const Request& r, const std::string& id) {
  if (auto entry = r.ctx->directory->find(id)) return entry->version;
  auto stored = r.ctx->store->read().get(storage::Table::station_runtime, runtime_key(id, RuntimeField::conn));
  auto conn = stored ? parse_connection_record(*stored) : std::nullopt;
  return conn && conn->protocol == "ocpp1.6" ? ocpp::Version::v16 : ocpp::Version::v201;
}

std::string api_time(std::int64_t ms) { return ocpp::DateTime::from_unix_ms(ms).to_string(); }

/// A list entry in the fork's LocalAuthorizationEntry shape.
std::string entry_json(const std::string& uid, const ListEntry& entry) {
  Object info;
  info.str("status", entry.status);
  if (entry.expiry_ms) info.str("expiryDate", api_time(*entry.expiry_ms));
  info.opt_str("parentIdTag", entry.group);
  return Object().str("idTag", uid).raw("idTagInfo", info.text()).text();
}

}  // namespace

void maeve_update_local_list(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_update_local_list_request);
  if (!body) return;
  const auto& id = r.segments.at(1);
  auto station = connected_station(r, id);
  if (!station) return;
  // A list the node keeps is not the operator's to overwrite: the next synchronisation would undo it.
  if (auto assigned = desired_list(r.ctx->store->read(), id, station->version, r.ctx->clock->now_ms());
      !assigned.empty())
    return r.respond(
        error_response(409, "the node keeps the local list of " + id + ": " + std::to_string(assigned.size()) +
                                " tokens are assigned to it (their localList); change the tokens, or POST /api/v0/cs/" +
                                id + "/local-list/sync"));
  auto taken_over = operator_took_over(r, id);
  // The entries, each as JSON text.
  std::vector<std::string> entries;
  if (body->local_authorization_list) {
    simdjson::dom::parser list_parser;
    simdjson::dom::array list;
    if (list_parser.parse(*body->local_authorization_list).get(list))
      return r.respond(error_response(400, "/localAuthorizationList: expected an array"));
    for (auto entry : list) entries.push_back(simdjson::minify(entry));
  }
  if (station->version == ocpp::Version::v16) {
    Object out;
    out.num("listVersion", body->list_version).str("updateType", body->update_type);
    if (!entries.empty()) out.raw("localAuthorizationList", maeve::array(entries));
    return maeve::send(r, *station, {"SendLocalList", out.text()}, 202, taken_over);
  }
  // 1.6's entries as 2.0.1 AuthorizationData: idTag -> idToken (Central), expiryDate ->
  // cacheExpiryDateTime, parentIdTag -> groupIdToken.
  std::vector<std::string> data;
  simdjson::dom::parser item_parser;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    simdjson::dom::element item;
    std::string_view tag;
    const auto at = "/localAuthorizationList/" + std::to_string(i);
    if (item_parser.parse(entries[i]).get(item) || item["idTag"].get(tag))
      return r.respond(error_response(400, at + ": expected {idTag, idTagInfo}"));
    Object entry;
    entry.raw("idToken", maeve::central_id_token(tag));
    simdjson::dom::object info;
    if (item["idTagInfo"].get(info) == simdjson::SUCCESS) {
      Object out;
      std::string_view value;
      if (info["status"].get(value) == simdjson::SUCCESS) out.str("status", value);
      if (info["expiryDate"].get(value) == simdjson::SUCCESS) out.str("cacheExpiryDateTime", value);
      if (info["parentIdTag"].get(value) == simdjson::SUCCESS) out.raw("groupIdToken", maeve::central_id_token(value));
      entry.raw("idTokenInfo", out.text());
    }
    data.push_back(entry.text());
  }
  Object out;
  out.num("versionNumber", body->list_version).str("updateType", body->update_type);
  if (!data.empty()) out.raw("localAuthorizationList", maeve::array(data));
  maeve::send(r, *station, {"SendLocalList", out.text()}, 202, taken_over);
}

void maeve_get_local_list_version(Request& r) {
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"GetLocalListVersion", "{}"}, 200, [](simdjson::dom::element answer, std::string_view) {
    std::int64_t version = 0;
    if (answer["listVersion"].get(version) && answer["versionNumber"].get(version)) version = 0;
    return Object().num("listVersion", version).text();
  });
}

void maeve_get_local_list(Request& r) {
  const auto& id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!reader.get(storage::Table::stations, id)) return r.respond(error_response(404, "unknown charge station " + id));
  const auto record = local_list_record(reader, id);
  const auto sent = sent_list(reader, id);
  const auto version = station_version(r, id);
  const auto desired = desired_list(reader, id, version, r.ctx->clock->now_ms());
  std::vector<std::string> entries;
  for (const auto& [uid, entry] : sent) entries.push_back(entry_json(uid, entry));
  const bool syncing = r.ctx->local_lists && r.ctx->local_lists->running(id);
  Object out;
  out.num("listVersion", record ? record->version : 0).raw("localAuthorizationList", maeve::array(entries));
  out.str("state", syncing ? "syncing" : record ? record->state : desired.empty() ? "unmanaged" : "pending");
  if (record && !record->detail.empty()) out.str("detail", record->detail);
  out.num("waiting", static_cast<std::int64_t>(list_changes(desired, sent).size()));
  if (record && record->station_version >= 0) out.num("stationVersion", record->station_version);
  const auto limits = known_list_limits(reader, id, version, record);
  if (limits.items || limits.bytes || limits.entries) {
    Object l;
    if (limits.items) l.num("itemsPerMessage", static_cast<std::int64_t>(limits.items));
    if (limits.bytes) l.num("bytesPerMessage", static_cast<std::int64_t>(limits.bytes));
    if (limits.entries) l.num("maxEntries", static_cast<std::int64_t>(limits.entries));
    out.raw("limits", l.text());
  }
  if (record && record->updated_at_ms) out.str("updatedAt", api_time(record->updated_at_ms));
  if (record && record->synced_at_ms) out.str("syncedAt", api_time(record->synced_at_ms));
  r.respond(json_response(200, out.text()));
}

void sync_local_list(Request& r) {
  const auto& id = r.segments.at(1);
  if (!r.ctx->store->read().get(storage::Table::stations, id))
    return r.respond(error_response(404, "unknown charge station " + id));
  if (!r.ctx->local_lists || !r.system) return r.respond(error_response(503, "this node keeps no local lists"));
  if (!r.ctx->directory->find(id)) return r.respond(error_response(409, "charge station " + id + " is not connected"));
  const auto full = r.query_value("full");
  if (!full.empty() && full != "true" && full != "false")
    return r.respond(error_response(400, "full: expected true or false, got '" + full + "'"));
  r.ctx->local_lists->request(*r.system, r.ctx, id,
                              full == "true" ? LocalListSyncs::Kind::full : LocalListSyncs::Kind::boot);
  r.respond(json_response(202, Object().str("status", "Accepted").text()));
}

std::optional<LocalListEffect> local_list_effect(std::string_view station, const CsmsCall& call) {
  LocalListEffect effect;
  effect.station = std::string(station);
  if (call.action.info && call.action.name() == "SendLocalList") {
    effect.send_local_list = true;
    return effect;
  }
  if (!call.request.v201) return std::nullopt;
  const auto* info = std::get_if<ocpp201::CustomerInformationRequest>(call.request.v201.get());
  if (!info || !info->clear || !info->idToken) return std::nullopt;
  effect.cleared_token = info->idToken->idToken;
  return effect;
}

void apply_local_list_effect(caf::actor_system& system, const NodeContextPtr& ctx, const LocalListEffect& effect,
                             const CsmsCallResult& result) {
  if (result.kind != CsmsCallResult::Kind::result ||
      maeve::string_member(result.payload, "status").value_or("") != "Accepted")
    return;
  auto record = local_list_record(ctx->store->read(), effect.station);
  if (!record) return;  // the node keeps no list there
  record->needs_full = record->needs_full || effect.send_local_list;
  record->updated_at_ms = ctx->clock->now_ms();
  const bool resync = effect.cleared_token.has_value();
  ctx->committer->submit(
      [effect, value = to_json(*record)](storage::WriteTxn& txn) {
        txn.put(storage::Table::station_runtime, local_list_key(effect.station), value);
        if (effect.cleared_token)
          txn.del(storage::Table::station_runtime,
                  storage::key({effect.station, "localListEntry", *effect.cleared_token}));
      },
      [system = &system, ctx, station = effect.station, resync](const std::string& error) {
        if (!error.empty()) return ctx->station_log->warn("{}: updating its local list failed: {}", station, error);
        if (resync && ctx->local_lists) ctx->local_lists->request(*system, ctx, station, LocalListSyncs::Kind::change);
      });
}

}  // namespace evbroker::actors::api
