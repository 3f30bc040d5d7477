// Charge station endpoints: register (MaEVe's), auth lookup (MaEVe's), list, detail, delete, events.

#include <spdlog/spdlog.h>

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/core/messages.hpp"
#include "actors/station/boot_provisioning.hpp"
#include "actors/station/local_list_sync.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/records/json_read.hpp"
#include "actors/records/certificate_records.hpp"
#include "actors/records/records.hpp"
#include "pki/password.hpp"
#include "protocol/mqtt_envelope.hpp"

namespace evbroker::actors::api {
namespace {

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

/// The string member `field` of a station's payload as stored (a JSON object's text).
std::optional<std::string> payload_field(std::string_view payload, std::string_view field) {
  simdjson::dom::object o;
  if (json::thread_parser().parse(payload.data(), payload.size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  return json::get_string(o, field);
}

/// A stored time as the API shows it; absent when the record had none (0: not known).
std::optional<std::string> api_time(std::int64_t ms) {
  if (ms == 0) return std::nullopt;
  return ocpp::DateTime::from_unix_ms(ms).to_string();
}

/// The API form of a station: its registration and what it reported (the runtime records, kept as
/// the node stored them), its pending settings and its storage against its budgets.
bodies::Station station_body(const NodeContext& ctx, const storage::Reader& reader, std::string_view id,
                             const StationRecord& station) {
  bodies::Station out;
  out.id = id;
  out.security_profile = station.security_profile;
  out.invalid_username_allowed = station.invalid_username_allowed;
  out.tolerant = station.tolerant;
  if (station.registered_at_ms) out.registered_at_ms = station.registered_at_ms;
  out.registration_status = station.registration_status;
  out.boot_provisioning = station.boot_provisioning;
  if (auto groups = parse_station_groups(station.groups); !groups.empty()) out.groups = std::move(groups);
  auto entry = ctx.directory->find(std::string(id));
  out.online = entry.has_value();
  auto read_runtime = [&](RuntimeField field) {
    return reader.get(storage::Table::station_runtime, runtime_key(id, field));
  };
  const auto stored_conn = read_runtime(RuntimeField::conn);
  const auto conn = stored_conn ? parse_connection_record(*stored_conn) : std::nullopt;
  if (entry)
    out.protocol = std::string(ocpp::subprotocol(entry->version));
  else if (conn && !conn->protocol.empty())
    out.protocol = conn->protocol;
  if (entry && entry->last_seen_ms) {
    out.last_seen = ocpp::DateTime::from_unix_ms(entry->last_seen_ms->load()).to_string();
  } else if (auto seen = read_runtime(RuntimeField::seen)) {
    if (auto record = parse_last_seen_record(*seen)) out.last_seen = api_time(record->last_seen_ms);
  }
  if (conn) out.connected_at = api_time(conn->connected_at_ms);
  if (auto stored_boot = read_runtime(RuntimeField::boot)) {
    if (auto boot = parse_boot_record(*stored_boot)) {
      out.booted_at = api_time(boot->booted_at_ms);
      out.boot_status = boot->status;
      if (!boot->payload.empty()) out.boot = std::move(boot->payload);
    }
  }
  if (auto stored = read_runtime(RuntimeField::provisioning)) out.provisioning = std::move(*stored);
  // Fields the station never reported are absent (docs/api.md), lists included.
  reader.scan(storage::Table::station_runtime, connector_prefix(id), [&](std::string_view, std::string_view value) {
    if (!out.connectors) out.connectors.emplace();
    out.connectors->emplace_back(value);
    return true;
  });
  constexpr std::pair<RuntimeField, std::optional<std::string> bodies::Station::*> kStatuses[] = {
      {RuntimeField::firmware, &bodies::Station::firmware_status},
      {RuntimeField::log, &bodies::Station::log_status},
      {RuntimeField::diagnostics, &bodies::Station::diagnostics_status},
      {RuntimeField::publish_firmware, &bodies::Station::publish_firmware_status}};
  for (const auto& [field, member] : kStatuses)
    if (auto stored = read_runtime(field))
      if (auto report = parse_status_report_record(*stored)) out.*member = payload_field(report->payload, "status");
  const auto settings_prefix = storage::prefix({id});
  reader.scan(storage::Table::settings, settings_prefix, [&](std::string_view key, std::string_view value) {
    if (!out.settings) out.settings.emplace();
    out.settings->emplace_back(key.substr(settings_prefix.size()), value);
    return true;
  });
  // What the station made the node keep, against its budgets (station_budget.hpp).
  auto usage_of = [&](BudgetKind kind) {
    const auto usage = read_usage(reader, id, kind);
    const auto& budget = ctx.settings.budgets.of(kind);
    return bodies::StorageUsage{static_cast<std::int64_t>(usage.entries), static_cast<std::int64_t>(usage.bytes),
                                static_cast<std::int64_t>(budget.max_entries),
                                static_cast<std::int64_t>(budget.max_bytes)};
  };
  out.storage = {usage_of(BudgetKind::events), usage_of(BudgetKind::device_model), usage_of(BudgetKind::meter_values)};
  return out;
}

}  // namespace

bool station_id_from_path(Request& r, std::string& id) {
  id = r.segments.at(1);
  std::string error;
  if (!valid_station_id(id, error)) {
    r.respond(error_response(400, error));
    return false;
  }
  return true;
}

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

  auto decoded = bodies::decode_charge_station_auth(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  StationRecord record;
  record.security_profile = decoded->security_profile;
  record.invalid_username_allowed = decoded->invalid_username_allowed.value_or(false);
  record.tolerant = decoded->tolerant.value_or(false);
  const std::optional<std::string> password = decoded->base64_sha256_password;
  if (std::string digest; password && (!pki::base64_decode(*password, digest) || digest.size() != 32))
    return r.respond(
        error_response(400, "/base64SHA256Password: expected the base64 encoding of a SHA-256 hash (44 characters)"));
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
  // Registering again changes the registration status only when the body names one.
  record.registration_status = decoded->registration_status.value_or(previous ? previous->registration_status
                                                                              : r.ctx->settings.registration_status);
  record.boot_provisioning = decoded->boot_provisioning.value_or(previous && previous->boot_provisioning);
  // Groups: as given ([] removes them), else as registered before.
  if (decoded->groups)
    record.groups = station_groups_json(*decoded->groups);
  else if (previous)
    record.groups = previous->groups;
  const bool groups_changed = previous ? previous->groups != record.groups : !record.groups.empty();
  const bool credentials_changed = previous && credentials_differ(*previous, record, password);
  auto respond = r.respond;
  auto ctx = r.ctx;
  auto json = to_json(record);
  ctx->committer->submit(
      [id, json](storage::WriteTxn& txn) { txn.put(storage::Table::stations, id, json); },
      [respond, ctx, id, json, credentials_changed, groups_changed, system = r.system](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the station: " + error));
        if (ctx->station_changed) ctx->station_changed(id, json);
        // Other groups may assign it other tokens.
        if (groups_changed && ctx->local_lists && system)
          ctx->local_lists->request(*system, ctx, id, LocalListSyncs::Kind::change);
        bool ended = false;
        if (credentials_changed) {
          if (auto entry = ctx->directory->find(id)) {
            caf::anon_send(entry->actor, kick_atom::value,
                           std::string("credentials changed: reconnect with the new ones"));
            ended = true;
          }
        }
        respond(json_response(201, ocpp::to_json(bodies::Registered{"Created", ended})));
      });
}

void set_station_registration(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_station_registration(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  const auto status = registration_from(decoded->registration_status);
  if (!status) return r.respond(error_response(400, "/registrationStatus: expected Accepted, Pending or Rejected"));
  auto respond = r.respond;
  auto ctx = r.ctx;
  auto system = r.system;
  auto stored = std::make_shared<std::optional<std::string>>();
  ctx->committer->submit(
      [id, status = decoded->registration_status, stored](storage::WriteTxn& txn) {
        // Read and written in one transaction: a registration stored meanwhile is not undone.
        auto record = txn.get(storage::Table::stations, id);
        auto station = record ? parse_station_record(*record) : std::nullopt;
        if (!station) return;
        station->registration_status = status;
        *stored = to_json(*station);
        txn.put(storage::Table::stations, id, **stored);
      },
      [respond, ctx, system, id, status = *status, stored](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the registration: " + error));
        if (!*stored) return respond(error_response(404, "unknown charge station " + id));
        if (ctx->station_changed) ctx->station_changed(id, **stored);
        bodies::RegistrationChanged changed{std::string(to_string(status)), false, std::nullopt};
        auto entry = ctx->directory->find(id);
        if (!entry || !system) return respond(json_response(200, ocpp::to_json(changed)));
        // The connection applies it (registration.hpp) and says what follows.
        changed.online = true;
        system->spawn(
            [](caf::event_based_actor* self, StationActor station, Registration decided,
               bodies::RegistrationChanged out, transport::Responder reply) {
              self->request(station, std::chrono::seconds(10), registration_atom::value, decided)
                  .then(
                      [out, reply](const std::string& effect) mutable {
                        if (!effect.empty()) out.effect = effect;
                        reply(json_response(200, ocpp::to_json(out)));
                      },
                      [out, reply](const caf::error&) mutable {
                        // The connection ended meanwhile: the next one starts from the stored status.
                        out.online = false;
                        reply(json_response(200, ocpp::to_json(out)));
                      });
            },
            entry->actor, status, std::move(changed), respond);
      });
}

void provision_station(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto entry = connected_station(r, id);
  if (!entry) return;
  start_boot_provisioning(*r.system, r.ctx, id, entry->actor, entry->version);
  r.respond(json_response(202, ocpp::to_json(bodies::Status{"Accepted", std::nullopt})));
}

void get_station_auth(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto station = load_station(r.ctx->store->read(), id);
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));
  // Neither the password hash nor our tolerant flag: MaEVe's answer.
  bodies::ChargeStationAuth auth;
  auth.security_profile = station->security_profile;
  auth.invalid_username_allowed = station->invalid_username_allowed;
  r.respond(json_response(200, ocpp::to_json(auth)));
}

void get_station(Request& r) {
  std::string id;
  if (!station_id_from_path(r, id)) return;
  auto reader = r.ctx->store->read();
  auto station = load_station(reader, id);
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));
  r.respond(json_response(200, ocpp::to_json(station_body(*r.ctx, reader, id, *station))));
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
    encode(w, station_body(*r.ctx, reader, rows[i].first, station));
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
        respond(json_response(200, ocpp::to_json(bodies::Deleted{static_cast<std::int64_t>(*deleted)})));
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
