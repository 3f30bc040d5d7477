// The maintained MaEVe fork's read operations, answered from what the node stores: the station's
// runtime records (boot, connection, status notifications), transactions, meter values and the
// device model (api_maeve.hpp).

#include <algorithm>

#include "actors/api/api_maeve.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/json_read.hpp"
#include "actors/records/records.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/records/transaction_keys.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

std::string time_text(std::int64_t ms) { return ocpp::DateTime::from_unix_ms(ms).to_string(); }

/// The station is registered; answers 404 when not.
bool known_station(Request& r, const storage::Reader& reader, const std::string& id) {
  if (reader.get(storage::Table::stations, id)) return true;
  r.respond(error_response(404, "unknown charge station " + id));
  return false;
}

std::optional<StatusReportRecord> status_report(const storage::Reader& reader, const std::string& id,
                                                RuntimeField field) {
  auto stored = reader.get(storage::Table::station_runtime, runtime_key(id, field));
  return stored ? parse_status_report_record(*stored) : std::nullopt;
}

/// The last status notification of `field`: {status (Idle when none), lastUpdate, and the members
/// of the notification the fork's shape names}.
void respond_status(Request& r, RuntimeField field, std::initializer_list<std::string_view> int_members) {
  const std::string id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  Object out;
  auto report = status_report(reader, id, field);
  simdjson::dom::parser parser;
  simdjson::dom::object payload;
  if (report && parser.parse(report->payload).get(payload) == simdjson::SUCCESS) {
    out.str("status", json::get_string(payload, "status").value_or("Idle"));
    for (auto name : int_members)
      if (auto value = json::get_int(payload, name)) out.num(name, *value);
    if (report->timestamp_ms) out.str("lastUpdate", time_text(report->timestamp_ms));
  } else {
    out.str("status", "Idle");
  }
  if (field == RuntimeField::firmware) {
    // The firmware the station booted with.
    if (auto stored = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::boot)))
      if (auto boot = parse_boot_record(*stored)) {
        auto version = maeve::string_member(boot->payload, "firmwareVersion");
        if (!version) {
          simdjson::dom::element b;
          std::string_view v;
          if (parser.parse(boot->payload).get(b) == simdjson::SUCCESS &&
              b["chargingStation"]["firmwareVersion"].get(v) == simdjson::SUCCESS)
            version = std::string(v);
        }
        out.opt_str("currentVersion", version);
      }
  }
  r.respond(json_response(200, out.text()));
}

std::vector<TransactionRecord> station_transactions(const storage::Reader& reader, const std::string& id) {
  std::vector<TransactionRecord> out;
  reader.scan(storage::Table::transactions, storage::prefix({id}), [&](std::string_view, std::string_view value) {
    if (auto record = parse_transaction_record(value)) out.push_back(std::move(*record));
    return true;
  });
  return out;
}

std::int64_t wh(std::optional<double> value) { return static_cast<std::int64_t>(value.value_or(0)); }

/// A transaction in the fork's TransactionSummary shape (TransactionDetail without meter values),
/// plus evseId, connectorId and energyWh of ours.
Object summary(const TransactionRecord& t) {
  Object out;
  out.str("transactionId", t.transaction_id).str("idTag", t.id_token);
  if (t.started_at_ms) out.str("startTime", time_text(t.started_at_ms));
  if (t.ended && t.ended_at_ms) out.str("stopTime", time_text(t.ended_at_ms));
  out.num("meterStart", wh(t.meter_start_wh ? t.meter_start_wh : t.first_energy_wh));
  if (t.ended) out.num("meterStop", wh(t.meter_stop_wh ? t.meter_stop_wh : t.last_energy_wh));
  out.str("status", t.ended ? "completed" : "active");
  out.num("evseId", t.evse_id).num("connectorId", t.connector_id);
  if (auto energy = t.energy_wh()) out.real("energyWh", *energy);
  return out;
}

/// A stored meter value (as the station sent it) in the fork's MeterValue shape: sampled values
/// with a string value and the unit (2.0.1 unitOfMeasure.unit).
std::string meter_value(std::string_view stored, const TransactionRecord* t, simdjson::dom::parser& parser) {
  simdjson::dom::object in;
  if (parser.parse(stored).get(in) != simdjson::SUCCESS) return std::string(stored);
  Object out;
  out.str("timestamp", json::get_string(in, "timestamp").value_or(""));
  if (t) {
    out.num("connectorId", t->version == ocpp::Version::v16 ? t->connector_id : t->evse_id);
    out.num("evseId", t->evse_id).str("transactionId", t->transaction_id);
  }
  std::vector<std::string> samples;
  simdjson::dom::array list;
  if (in["sampledValue"].get(list) == simdjson::SUCCESS) {
    for (auto sample : list) {
      Object s;
      simdjson::dom::element value;
      if (sample["value"].get(value) == simdjson::SUCCESS) {
        std::string_view text;
        s.str("value", value.get(text) == simdjson::SUCCESS ? std::string(text) : simdjson::minify(value));
      }
      for (auto name : {"context", "format", "measurand", "phase", "location", "unit"}) {
        std::string_view text;
        if (sample[name].get(text) == simdjson::SUCCESS) s.str(name, text);
      }
      std::string_view unit;
      if (sample["unitOfMeasure"]["unit"].get(unit) == simdjson::SUCCESS) s.str("unit", unit);
      samples.push_back(s.text());
    }
  }
  out.raw("sampledValue", maeve::array(samples));
  return out.text();
}

}  // namespace

void maeve_firmware_status(Request& r) { respond_status(r, RuntimeField::firmware, {"requestId"}); }

void maeve_diagnostics_status(Request& r) { respond_status(r, RuntimeField::diagnostics, {}); }

void maeve_log_status(Request& r) {
  bool bad = false;
  const auto request_id = maeve::query_int(r, "requestId", -2147483648LL, 2147483647, bad);
  if (bad) return;
  if (request_id) {
    const std::string id = r.segments.at(1);
    auto reader = r.ctx->store->read();
    if (!known_station(r, reader, id)) return;
    auto report = status_report(reader, id, RuntimeField::log);
    std::optional<std::int64_t> stored_id;
    simdjson::dom::parser parser;
    simdjson::dom::object payload;
    if (report && parser.parse(report->payload).get(payload) == simdjson::SUCCESS)
      stored_id = json::get_int(payload, "requestId");
    if (stored_id != request_id)
      return r.respond(error_response(
          404, "the last log status of charge station " + id + " is not of request " + std::to_string(*request_id)));
  }
  respond_status(r, RuntimeField::log, {"requestId"});
}

void maeve_station_status(Request& r) {
  const std::string id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  auto entry = r.ctx->directory->find(id);
  Object out;
  out.str("id", id).boolean("connected", entry.has_value());
  // What the node knows of the station's liveness: the last message from it.
  if (entry && entry->last_seen_ms) {
    out.str("lastHeartbeat", time_text(entry->last_seen_ms->load()));
  } else if (auto seen = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::seen))) {
    if (auto record = parse_last_seen_record(*seen); record && record->last_seen_ms)
      out.str("lastHeartbeat", time_text(record->last_seen_ms));
  }
  if (auto stored = reader.get(storage::Table::station_runtime, runtime_key(id, RuntimeField::boot))) {
    if (auto boot = parse_boot_record(*stored)) {
      simdjson::dom::parser parser;
      simdjson::dom::element b;
      if (parser.parse(boot->payload).get(b) == simdjson::SUCCESS) {
        simdjson::dom::element cs;
        const bool v201 = b["chargingStation"].get(cs) == simdjson::SUCCESS;
        auto field = [&](std::string_view name16, std::string_view name201, std::string_view as) {
          std::string_view v;
          if ((v201 ? cs[name201] : b[name16]).get(v) == simdjson::SUCCESS) out.str(as, v);
        };
        field("firmwareVersion", "firmwareVersion", "firmwareVersion");
        field("chargePointModel", "model", "model");
        field("chargePointVendor", "vendorName", "vendor");
        field("chargePointSerialNumber", "serialNumber", "serialNumber");
      }
    }
  }
  r.respond(json_response(200, out.text()));
}

void maeve_connectors(Request& r) {
  const std::string id = r.segments.at(1);
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  const auto transactions = station_transactions(reader, id);
  std::vector<std::string> out;
  reader.scan(storage::Table::station_runtime, connector_prefix(id), [&](std::string_view, std::string_view value) {
    auto c = parse_connector_status_record(value);
    if (!c) return true;
    const bool v16 = c->error_code.has_value() || c->evse_id == c->connector_id;
    const TransactionRecord* active = nullptr;
    for (const auto& t : transactions)
      if (!t.ended && t.evse_id == c->evse_id && (t.connector_id == 0 || t.connector_id == c->connector_id))
        active = &t;
    // 2.0.1 reports Occupied where 1.6 says Charging (or Preparing before a transaction).
    std::string status = c->status;
    if (status == "Occupied") status = active ? "Charging" : "Preparing";
    Object o;
    o.num("connectorId", v16 ? c->connector_id : c->evse_id)
        .str("status", status)
        .str("errorCode", c->error_code.value_or(c->status == "Faulted" ? "OtherError" : "NoError"))
        .opt_str("info", c->info);
    if (c->timestamp_ms) o.str("timestamp", time_text(c->timestamp_ms));
    if (active) o.str("currentTransaction", active->transaction_id);
    // Ours: the EVSE and connector as the station numbered them, and its status as sent.
    o.num("evseId", c->evse_id).num("evseConnectorId", c->connector_id).str("ocppStatus", c->status);
    out.push_back(o.text());
    return true;
  });
  r.respond(json_response(200, maeve::array(out)));
}

void maeve_list_transactions(Request& r) {
  const std::string id = r.segments.at(1);
  const auto status = r.query_value("status");
  if (!status.empty() && status != "active" && status != "completed" && status != "all")
    return r.respond(error_response(400, "status: expected active, completed or all, got '" + status + "'"));
  bool bad = false;
  const auto limit = maeve::query_int(r, "limit", 1, 100, bad).value_or(50);
  if (bad) return;
  const auto offset = maeve::query_int(r, "offset", 0, 1LL << 40, bad).value_or(0);
  if (bad) return;
  std::optional<std::int64_t> from, to;
  if (!time_query(r, "startDate", from) || !time_query(r, "endDate", to)) return;
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  auto all = station_transactions(reader, id);
  std::vector<const TransactionRecord*> kept;
  for (const auto& t : all) {
    if (status == "active" && t.ended) continue;
    if (status == "completed" && !t.ended) continue;
    if (from && t.started_at_ms < *from) continue;
    if (to && t.started_at_ms > *to) continue;
    kept.push_back(&t);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto* a, const auto* b) { return a->started_at_ms > b->started_at_ms; });
  std::vector<std::string> page;
  for (std::size_t i = static_cast<std::size_t>(offset);
       i < kept.size() && page.size() < static_cast<std::size_t>(limit); ++i)
    page.push_back(summary(*kept[i]).text());
  r.respond(json_response(200, Object()
                                   .raw("transactions", maeve::array(page))
                                   .num("total", static_cast<std::int64_t>(kept.size()))
                                   .num("limit", limit)
                                   .num("offset", offset)
                                   .text()));
}

void maeve_transaction_details(Request& r) {
  const std::string station = r.segments.at(1);
  const std::string id = r.segments.at(3);
  auto reader = r.ctx->store->read();
  auto stored = reader.get(storage::Table::transactions, transaction_key(station, id));
  auto record = stored ? parse_transaction_record(*stored) : std::nullopt;
  if (!record) return r.respond(error_response(404, "no transaction " + id + " of charge station " + station));
  std::vector<std::string> values;
  simdjson::dom::parser parser;
  reader.scan(storage::Table::meter_values, meter_value_prefix(station, id), [&](std::string_view, std::string_view v) {
    values.push_back(meter_value(v, &*record, parser));
    return true;
  });
  auto out = summary(*record);
  out.raw("meterValues", maeve::array(values));
  r.respond(json_response(200, out.text()));
}

void maeve_meter_values(Request& r) {
  const std::string id = r.segments.at(1);
  bool bad = false;
  const auto connector = maeve::query_int(r, "connectorId", 0, 2147483647, bad);
  if (bad) return;
  const auto limit = maeve::query_int(r, "limit", 1, 1000, bad).value_or(100);
  if (bad) return;
  const auto offset = maeve::query_int(r, "offset", 0, 1LL << 40, bad).value_or(0);
  if (bad) return;
  std::optional<std::int64_t> from, to;
  if (!time_query(r, "startTime", from) || !time_query(r, "endTime", to)) return;
  const auto transaction = r.query_value("transactionId");
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  const auto transactions = station_transactions(reader, id);
  auto find_tx = [&](std::string_view tx) -> const TransactionRecord* {
    for (const auto& t : transactions)
      if (t.transaction_id == tx) return &t;
    return nullptr;
  };
  // Keys: <station> \0 <transaction id, "" outside one> \0 ... (transaction_keys.hpp).
  const auto prefix = transaction.empty() ? storage::prefix({id}) : meter_value_prefix(id, transaction);
  std::vector<std::string> page;
  std::int64_t total = 0;
  simdjson::dom::parser parser;
  reader.scan(storage::Table::meter_values, prefix, [&](std::string_view key, std::string_view value) {
    const auto rest = key.substr(storage::prefix({id}).size());
    const auto tx = rest.substr(0, rest.find('\0'));
    const auto* t = find_tx(tx);
    if (connector && (!t || (t->version == ocpp::Version::v16 ? t->connector_id : t->evse_id) != *connector))
      return true;
    if (from || to) {
      auto stamp = maeve::string_member(value, "timestamp");
      auto when = stamp ? ocpp::DateTime::parse(*stamp) : std::nullopt;
      if (!when || (from && when->unix_ms() < *from) || (to && when->unix_ms() > *to)) return true;
    }
    if (total++ >= offset && static_cast<std::int64_t>(page.size()) < limit)
      page.push_back(meter_value(value, t, parser));
    return true;
  });
  r.respond(json_response(200, Object()
                                   .raw("meterValues", maeve::array(page))
                                   .num("total", total)
                                   .num("limit", limit)
                                   .num("offset", offset)
                                   .text()));
}

void maeve_device_reports(Request& r) {
  const std::string id = r.segments.at(1);
  bool bad = false;
  const auto limit = maeve::query_int(r, "limit", 1, 1000, bad).value_or(100);
  if (bad) return;
  const auto offset = maeve::query_int(r, "offset", 0, 1LL << 40, bad).value_or(0);
  if (bad) return;
  const auto request_id = maeve::query_int(r, "requestId", -2147483648LL, 2147483647, bad);
  if (bad) return;
  auto reader = r.ctx->store->read();
  if (!known_station(r, reader, id)) return;
  // The node keeps the latest value of each variable, not the reports: they are one report here
  // (requestId 0, generated at the time of the answer), limit and offset count its entries.
  std::vector<std::string> data;
  std::int64_t index = 0;
  reader.scan(storage::Table::device_model, storage::prefix({id}), [&](std::string_view, std::string_view value) {
    if (index++ >= offset && static_cast<std::int64_t>(data.size()) < limit) data.emplace_back(value);
    return true;
  });
  std::vector<std::string> reports;
  const auto type = r.query_value("reportType");
  if (index > 0 && (!request_id || *request_id == 0) && (type.empty() || type == "DeviceModel"))
    reports.push_back(Object()
                          .num("requestId", 0)
                          .str("generatedAt", time_text(r.ctx->clock->now_ms()))
                          .str("reportType", "DeviceModel")
                          .raw("reportData", maeve::array(data))
                          .num("entries", index)
                          .text());
  r.respond(json_response(200, Object()
                                   .raw("reports", maeve::array(reports))
                                   .num("total", static_cast<std::int64_t>(reports.size()))
                                   .num("limit", limit)
                                   .num("offset", offset)
                                   .text()));
}

}  // namespace evbroker::actors::api
