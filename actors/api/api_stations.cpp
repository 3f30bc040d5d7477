// Charge station endpoints: register (MaEVe's), auth lookup (MaEVe's), list, detail, delete, events.

#include <spdlog/spdlog.h>

#include "actors/api/api_support.hpp"
#include "actors/core/messages.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/records/json_read.hpp"
#include "actors/records/certificate_records.hpp"
#include "actors/records/records.hpp"
#include "pki/password.hpp"
#include "protocol/mqtt_envelope.hpp"

namespace evbroker::actors::api {
namespace {

/// Station id from the path, validated; answers 400 when invalid.
bool station_id_from_path(Request& r, std::string& id) {
  id = r.segments.at(1);
  std::string error;
  if (!valid_station_id(id, error)) {
    r.respond(error_response(400, error));
    return false;
  }
  return true;
}

std::optional<StationRecord> load_station(const storage::Reader& reader, std::string_view id) {
  auto stored = reader.get(storage::Table::stations, id);
  return stored ? parse_station_record(*stored) : std::nullopt;
}

/// Would a session authenticated under `before` have to authenticate differently under `after`?
/// (`password`: the base64SHA256Password given for `after`, if any.)
bool credentials_differ(const StationRecord& before, const StationRecord& after,
                        const std::optional<std::string>& password) {
  if (before.security_profile != after.security_profile) return true;
  if (before.invalid_username_allowed != after.invalid_username_allowed) return true;
  const bool had_password = !before.password_hash.empty();
  if (had_password != password.has_value()) return true;
  return password && !pki::verify_api_password(*password, {before.password_salt, before.password_hash});
}

/// Reads `field` of a stored {"...","payload":{...}} runtime record's payload.
std::optional<std::string> payload_field(std::string_view record, std::string_view field) {
  simdjson::dom::object o;
  if (json::thread_parser().parse(record.data(), record.size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object payload;
  if (o["payload"].get(payload) != simdjson::SUCCESS) return std::nullopt;
  return json::get_string(payload, field);
}

std::optional<std::string> record_field(std::string_view record, std::string_view field) {
  simdjson::dom::object o;
  if (json::thread_parser().parse(record.data(), record.size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  return json::get_string(o, field);
}

void write_station(ocpp::JsonWriter& w, const NodeContext& ctx, const storage::Reader& reader, std::string_view id,
                   const StationRecord& station) {
  w.raw("{\"id\":");
  w.string(id);
  w.raw(",\"securityProfile\":");
  w.integer(station.security_profile);
  w.raw(",\"invalidUsernameAllowed\":");
  w.boolean(station.invalid_username_allowed);
  w.raw(",\"tolerant\":");
  w.boolean(station.tolerant);
  if (station.registered_at_ms) {
    w.raw(",\"registeredAt\":");
    w.date_time(ocpp::DateTime::from_unix_ms(station.registered_at_ms));
  }
  auto entry = ctx.directory->find(std::string(id));
  w.raw(",\"online\":");
  w.boolean(entry.has_value());
  auto conn = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::conn));
  std::optional<std::string> protocol = entry
                                            ? std::optional<std::string>(std::string(ocpp::subprotocol(entry->version)))
                                            : (conn ? record_field(*conn, "protocol") : std::nullopt);
  if (protocol) {
    w.raw(",\"protocol\":");
    w.string(*protocol);
  }
  std::optional<std::string> last_seen;
  if (entry && entry->last_seen_ms)
    last_seen = ocpp::DateTime::from_unix_ms(entry->last_seen_ms->load()).to_string();
  else if (auto seen = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::seen)))
    last_seen = record_field(*seen, "lastSeen");
  if (last_seen) {
    w.raw(",\"lastSeen\":");
    w.string(*last_seen);
  }
  if (conn) {
    if (auto at = record_field(*conn, "connectedAt")) {
      w.raw(",\"connectedAt\":");
      w.string(*at);
    }
  }
  if (auto boot = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::boot))) {
    simdjson::dom::object o;
    if (json::thread_parser().parse(boot->data(), boot->size()).get(o) == simdjson::SUCCESS) {
      if (auto at = json::get_string(o, "bootedAt")) {
        w.raw(",\"bootedAt\":");
        w.string(*at);
      }
      auto payload = json::get_raw(o, "payload");
      if (!payload.empty()) {
        w.raw(",\"boot\":");
        w.raw(payload);
      }
    }
  }
  // Fields the station never reported are absent (docs/api.md), lists included.
  bool first = true;
  reader.scan(storage::Table::station_runtime, connector_prefix(id), [&](std::string_view, std::string_view value) {
    w.raw(first ? ",\"connectors\":[" : ",");
    first = false;
    w.raw(value);
    return true;
  });
  if (!first) w.raw(']');
  constexpr std::pair<RuntimeField, std::string_view> kStatuses[] = {
      {RuntimeField::firmware, "firmwareStatus"},
      {RuntimeField::log, "logStatus"},
      {RuntimeField::diagnostics, "diagnosticsStatus"},
      {RuntimeField::publish_firmware, "publishFirmwareStatus"}};
  for (const auto& [field, name] : kStatuses) {
    if (auto record = reader.get(storage::Table::station_runtime, runtime_key(id, field))) {
      if (auto status = payload_field(*record, "status")) {
        w.raw(',');
        w.string(name);
        w.raw(':');
        w.string(*status);
      }
    }
  }
  first = true;
  const auto settings_prefix = storage::prefix({id});
  reader.scan(storage::Table::settings, settings_prefix, [&](std::string_view key, std::string_view value) {
    w.raw(first ? ",\"settings\":{" : ",");
    first = false;
    w.string(key.substr(settings_prefix.size()));
    w.raw(':');
    w.raw(value);
    return true;
  });
  if (!first) w.raw('}');
  // What the station made the node keep, against its budgets (station_budget.hpp).
  w.raw(",\"storage\":{");
  first = true;
  for (auto kind : {BudgetKind::events, BudgetKind::device_model, BudgetKind::meter_values}) {
    const auto usage = read_usage(reader, id, kind);
    const auto& budget = ctx.settings.budgets.of(kind);
    if (!first) w.raw(',');
    first = false;
    w.string(budget_name(kind));
    w.raw(":{\"entries\":");
    w.integer(static_cast<std::int64_t>(usage.entries));
    w.raw(",\"bytes\":");
    w.integer(static_cast<std::int64_t>(usage.bytes));
    w.raw(",\"maxEntries\":");
    w.integer(static_cast<std::int64_t>(budget.max_entries));
    w.raw(",\"maxBytes\":");
    w.integer(static_cast<std::int64_t>(budget.max_bytes));
    w.raw('}');
  }
  w.raw('}');
  w.raw('}');
}

}  // namespace

void register_station(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  if (const auto owner = ocpp::station_partition(id, r.ctx->partition_count); owner != r.ctx->partition_index) {
    // Its messages go to the manager of its partition; registered here, it could never connect.
    return r.respond(error_response(421, "charge station " + id + " belongs to partition " + std::to_string(owner) +
                                             " of " + std::to_string(r.ctx->partition_count) +
                                             "; this manager owns partition " + std::to_string(r.ctx->partition_index) +
                                             ": register it there"));
  }
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;

  StationRecord record;
  std::optional<std::string> password;
  bool has_profile = false;
  for (auto [key, value] : *body) {
    auto fail = [&](std::string_view what) {
      r.respond(error_response(400, "/" + std::string(key) + ": " + std::string(what)));
    };
    if (key == "securityProfile") {
      std::int64_t profile = 0;
      if (value.get(profile) != simdjson::SUCCESS) return fail("expected an integer");
      if (profile < 0 || profile > 2) return fail("expected 0, 1 or 2, got " + std::to_string(profile));
      record.security_profile = static_cast<int>(profile);
      has_profile = true;
    } else if (key == "base64SHA256Password") {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS) return fail("expected a string");
      std::string digest;
      if (text.size() > 64 || !pki::base64_decode(text, digest) || digest.size() != 32)
        return fail("expected the base64 encoding of a SHA-256 hash (44 characters)");
      password = std::string(text);
    } else if (key == "invalidUsernameAllowed") {
      if (value.get(record.invalid_username_allowed) != simdjson::SUCCESS) return fail("expected true or false");
    } else if (key == "tolerant") {
      if (value.get(record.tolerant) != simdjson::SUCCESS) return fail("expected true or false");
    } else {
      return fail("unknown property");
    }
  }
  if (!has_profile) return r.respond(error_response(400, "/securityProfile: missing required property"));
  if (record.security_profile == 1 && !password)
    return r.respond(error_response(400, "/base64SHA256Password: required for security profile 1 (TLS + Basic auth)"));
  if (record.security_profile == 2 && password)
    return r.respond(error_response(
        400, "/base64SHA256Password: security profile 2 authenticates with a client certificate, not a password"));
  if (password && !record.invalid_username_allowed && id.find(':') != std::string::npos)
    return r.respond(error_response(400, "station id " + id +
                                             " contains ':', which a Basic-auth user name cannot "
                                             "(RFC 7617): use security profile 2 (client certificate) or set "
                                             "invalidUsernameAllowed"));
  if (password) {
    auto salted = pki::hash_api_password(*password);
    record.password_salt = std::move(salted.salt);
    record.password_hash = std::move(salted.hash);
  }
  record.registered_at_ms = r.ctx->clock->now_ms();
  // A station connected under the old credentials must present the new ones: its session ends
  // once the change is stored, and it reconnects with what it now must present.
  const auto previous = load_station(r.ctx->store->read(), id);
  const bool credentials_changed = previous && credentials_differ(*previous, record, password);
  auto respond = r.respond;
  auto ctx = r.ctx;
  auto json = to_json(record);
  ctx->committer->submit([id, json](storage::WriteTxn& txn) { txn.put(storage::Table::stations, id, json); },
                         [respond, ctx, id, json, credentials_changed](const std::string& error) {
                           if (!error.empty())
                             return respond(error_response(500, "could not store the station: " + error));
                           if (ctx->station_changed) ctx->station_changed(id, json);
                           bool ended = false;
                           if (credentials_changed) {
                             if (auto entry = ctx->directory->find(id)) {
                               caf::anon_send(entry->actor, kick_atom::value,
                                              std::string("credentials changed: reconnect with the new ones"));
                               ended = true;
                             }
                           }
                           respond(json_response(201, std::string("{\"status\":\"Created\",\"sessionEnded\":") +
                                                          (ended ? "true" : "false") + "}"));
                         });
}

void get_station_auth(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto station = load_station(r.ctx->store->read(), id);
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));
  std::string body;
  ocpp::JsonWriter w(body);
  w.raw("{\"securityProfile\":");
  w.integer(station->security_profile);
  w.raw(",\"invalidUsernameAllowed\":");
  w.boolean(station->invalid_username_allowed);
  w.raw('}');
  r.respond(json_response(200, std::move(body)));
}

void get_station(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto reader = r.ctx->store->read();
  auto station = load_station(reader, id);
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));
  std::string body;
  ocpp::JsonWriter w(body);
  write_station(w, *r.ctx, reader, id, *station);
  r.respond(json_response(200, std::move(body)));
}

void list_stations(Request& r) {
  auto page = parse_page(r);
  if (!page) return;
  auto reader = r.ctx->store->read();
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t index = 0;
  reader.scan(storage::Table::stations, "", [&](std::string_view key, std::string_view value) {
    if (index++ < page->offset) return true;
    rows.emplace_back(key, value);
    return rows.size() < page->limit;
  });
  std::string body;
  ocpp::JsonWriter w(body);
  w.raw('[');
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i) w.raw(',');
    auto station = parse_station_record(rows[i].second).value_or(StationRecord{});
    write_station(w, *r.ctx, reader, rows[i].first, station);
  }
  w.raw(']');
  r.respond(json_response(200, std::move(body)));
}

void delete_station(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  if (!load_station(r.ctx->store->read(), id)) return r.respond(error_response(404, "unknown charge station " + id));
  auto respond = r.respond;
  auto ctx = r.ctx;
  ctx->committer->submit(
      [id](storage::WriteTxn& txn) {
        // The registration, what the station reported, its pending settings and its certificate
        // work (signing requests, roots to install) go, so that a station registered again under the
        // same id inherits none of it; its transactions, meter values and events stay for the record.
        txn.del(storage::Table::stations, id);
        txn.del_prefix(storage::Table::station_runtime, storage::prefix({id}));
        txn.del_prefix(storage::Table::settings, storage::prefix({id}));
        txn.del_prefix(storage::Table::certificates, sign_prefix(id));
        txn.del_prefix(storage::Table::certificates, install_prefix(id));
      },
      [respond, ctx, id](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not delete the station: " + error));
        if (ctx->station_changed) ctx->station_changed(id, std::nullopt);
        if (auto entry = ctx->directory->find(id))
          caf::anon_send(entry->actor, kick_atom::value, std::string("station deregistered"));
        respond(empty_response(204));
      });
}

namespace {

/// Answers with one page of a station's stored JSON values under `table` (keys <id>\0...),
/// as a JSON array, in key order or newest first.
void respond_station_page(Request& r, storage::Table table, bool newest_first) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto page = parse_page(r);
  if (!page) return;
  auto reader = r.ctx->store->read();
  if (!load_station(reader, id)) return r.respond(error_response(404, "unknown charge station " + id));
  std::string body = "[";
  std::size_t index = 0, written = 0;
  auto add = [&](std::string_view, std::string_view value) {
    if (index++ < page->offset) return true;
    if (written++) body += ',';
    body += value;
    return written < page->limit;
  };
  if (newest_first)
    reader.scan_reverse(table, storage::prefix({id}), add);
  else
    reader.scan(table, storage::prefix({id}), add);
  body += ']';
  r.respond(json_response(200, std::move(body)));
}

}  // namespace

void list_device_model(Request& r) { respond_station_page(r, storage::Table::device_model, false); }

void list_events(Request& r) { respond_station_page(r, storage::Table::events, true); }

namespace {

/// Deletes what a station made the node keep of one budgeted kind, giving the room back.
void clear_budgeted(Request& r, storage::Table table, std::string prefix, BudgetKind kind) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  if (!load_station(r.ctx->store->read(), id)) return r.respond(error_response(404, "unknown charge station " + id));
  auto respond = r.respond;
  auto deleted = std::make_shared<std::size_t>(0);
  r.ctx->committer->submit(
      [id, table, prefix, kind, deleted](storage::WriteTxn& txn) {
        *deleted = txn.del_prefix(table, prefix);
        write_usage(txn, id, kind, {});
      },
      [respond, deleted](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not delete: " + error));
        respond(json_response(200, "{\"deleted\":" + std::to_string(*deleted) + "}"));
      });
}

}  // namespace

void clear_events(Request& r) {
  clear_budgeted(r, storage::Table::events, storage::prefix({r.segments.at(1)}), BudgetKind::events);
}

void clear_device_model(Request& r) {
  clear_budgeted(r, storage::Table::device_model, storage::prefix({r.segments.at(1)}), BudgetKind::device_model);
}

void clear_idle_meter_values(Request& r) {
  // Meter values outside any transaction: transaction id "" (transaction_keys.hpp).
  clear_budgeted(r, storage::Table::meter_values, storage::prefix({r.segments.at(1), ""}), BudgetKind::meter_values);
}

}  // namespace evbroker::actors::api
