#include "actors/records/records.hpp"

#include "actors/records/json_read.hpp"
#include "actors/records/record_json.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors {
namespace {

using namespace record_json;

void opt_string(ocpp::JsonWriter& w, std::string_view name, const std::optional<std::string>& v, bool& first) {
  if (!v) return;
  key(w, name, first);
  w.string(*v);
}

void opt_number(ocpp::JsonWriter& w, std::string_view name, const std::optional<double>& v, bool& first) {
  if (!v) return;
  key(w, name, first);
  w.number(*v);
}

}  // namespace

// ---- StationRecord --------------------------------------------------------------------------------
std::string to_json(const StationRecord& r) {
  std::string out;
  ocpp::JsonWriter w(out);
  bool first = true;
  w.raw('{');
  key(w, "securityProfile", first);
  w.integer(r.security_profile);
  if (!r.password_hash.empty()) {
    key(w, "passwordSalt", first);
    w.string(r.password_salt);
    key(w, "passwordHash", first);
    w.string(r.password_hash);
  }
  key(w, "invalidUsernameAllowed", first);
  w.boolean(r.invalid_username_allowed);
  key(w, "tolerant", first);
  w.boolean(r.tolerant);
  time_member(w, "registeredAt", r.registered_at_ms, first);
  w.raw('}');
  return out;
}

std::optional<StationRecord> parse_station_record(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return std::nullopt;
  StationRecord r;
  r.security_profile = static_cast<int>(json::get_int(*o, "securityProfile").value_or(0));
  r.password_salt = json::get_string(*o, "passwordSalt").value_or("");
  r.password_hash = json::get_string(*o, "passwordHash").value_or("");
  r.invalid_username_allowed = json::get_bool(*o, "invalidUsernameAllowed").value_or(false);
  r.tolerant = json::get_bool(*o, "tolerant").value_or(false);
  r.registered_at_ms = parse_time(*o, "registeredAt");
  return r;
}

// ---- TokenRecord ----------------------------------------------------------------------------------
void write_json(ocpp::JsonWriter& w, const TokenRecord& t) {
  bool first = true;
  w.raw('{');
  key(w, "countryCode", first);
  w.string(t.country_code);
  key(w, "partyId", first);
  w.string(t.party_id);
  key(w, "type", first);
  w.string(t.type);
  key(w, "uid", first);
  w.string(t.uid);
  key(w, "contractId", first);
  w.string(t.contract_id);
  opt_string(w, "visualNumber", t.visual_number, first);
  key(w, "issuer", first);
  w.string(t.issuer);
  opt_string(w, "groupId", t.group_id, first);
  key(w, "valid", first);
  w.boolean(t.valid);
  opt_string(w, "languageCode", t.language_code, first);
  key(w, "cacheMode", first);
  w.string(t.cache_mode);
  time_member(w, "lastUpdated", t.last_updated_ms, first);
  if (t.expiry_ms) time_member(w, "expiryDate", *t.expiry_ms, first);
  w.raw('}');
}

std::string to_json(const TokenRecord& t) {
  std::string out;
  ocpp::JsonWriter w(out);
  write_json(w, t);
  return out;
}

std::optional<TokenRecord> parse_token_record(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return std::nullopt;
  TokenRecord t;
  t.country_code = json::get_string(*o, "countryCode").value_or("");
  t.party_id = json::get_string(*o, "partyId").value_or("");
  t.type = json::get_string(*o, "type").value_or("");
  t.uid = json::get_string(*o, "uid").value_or("");
  t.contract_id = json::get_string(*o, "contractId").value_or("");
  t.visual_number = json::get_string(*o, "visualNumber");
  t.issuer = json::get_string(*o, "issuer").value_or("");
  t.group_id = json::get_string(*o, "groupId");
  t.valid = json::get_bool(*o, "valid").value_or(false);
  t.language_code = json::get_string(*o, "languageCode");
  t.cache_mode = json::get_string(*o, "cacheMode").value_or("");
  t.last_updated_ms = parse_time(*o, "lastUpdated");
  if (auto expiry = parse_time(*o, "expiryDate")) t.expiry_ms = expiry;
  return t;
}

// ---- TransactionRecord ----------------------------------------------------------------------------
std::optional<double> TransactionRecord::energy_wh() const {
  if (!ended) return std::nullopt;
  if (meter_start_wh && meter_stop_wh) return *meter_stop_wh - *meter_start_wh;
  if (first_energy_wh && last_energy_wh) return *last_energy_wh - *first_energy_wh;
  return std::nullopt;
}

namespace {

void write_transaction_fields(ocpp::JsonWriter& w, const TransactionRecord& r, bool api, bool& first) {
  key(w, "csId", first);
  w.string(r.station_id);
  key(w, "transactionId", first);
  w.string(r.transaction_id);
  key(w, "protocol", first);
  w.string(ocpp::subprotocol(r.version));
  if (!r.id_token.empty()) {
    key(w, "idToken", first);
    w.string(r.id_token);
  }
  if (r.evse_id != 0) {
    key(w, "evseId", first);
    w.integer(r.evse_id);
  }
  if (r.connector_id != 0) {
    key(w, "connectorId", first);
    w.integer(r.connector_id);
  }
  key(w, "state", first);
  w.string(r.ended ? "ended" : "active");
  time_member(w, "startedAt", r.started_at_ms, first);
  time_member(w, "endedAt", r.ended_at_ms, first);
  opt_number(w, "meterStartWh", r.meter_start_wh, first);
  opt_number(w, "meterStopWh", r.meter_stop_wh, first);
  if (api) {
    opt_number(w, "energyWh", r.energy_wh(), first);
  } else {
    opt_number(w, "firstEnergyWh", r.first_energy_wh, first);
    time_member(w, "firstEnergyAt", r.first_energy_at_ms, first);
    opt_number(w, "lastEnergyWh", r.last_energy_wh, first);
    time_member(w, "lastEnergyAt", r.last_energy_at_ms, first);
  }
  if (!r.stop_reason.empty()) {
    key(w, "stopReason", first);
    w.string(r.stop_reason);
  }
  if (r.last_seq_no >= 0) {
    key(w, "lastSeqNo", first);
    w.integer(r.last_seq_no);
  }
  key(w, "events", first);
  w.integer(r.events);
  key(w, "meterValueCount", first);
  w.integer(r.meter_values);
  if (r.remote_start_id) {
    key(w, "remoteStartId", first);
    w.integer(*r.remote_start_id);
  }
}

}  // namespace

std::string to_json(const TransactionRecord& r) {
  std::string out;
  ocpp::JsonWriter w(out);
  bool first = true;
  w.raw('{');
  write_transaction_fields(w, r, false, first);
  w.raw('}');
  return out;
}

void write_api_json_open(ocpp::JsonWriter& w, const TransactionRecord& r) {
  bool first = true;
  w.raw('{');
  write_transaction_fields(w, r, true, first);
}

std::optional<TransactionRecord> parse_transaction_record(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return std::nullopt;
  TransactionRecord r;
  r.station_id = json::get_string(*o, "csId").value_or("");
  r.transaction_id = json::get_string(*o, "transactionId").value_or("");
  r.version =
      ocpp::version_from_subprotocol(json::get_string(*o, "protocol").value_or("")).value_or(ocpp::Version::v201);
  r.id_token = json::get_string(*o, "idToken").value_or("");
  r.evse_id = json::get_int(*o, "evseId").value_or(0);
  r.connector_id = json::get_int(*o, "connectorId").value_or(0);
  r.ended = json::get_string(*o, "state").value_or("") == "ended";
  r.started_at_ms = parse_time(*o, "startedAt");
  r.ended_at_ms = parse_time(*o, "endedAt");
  r.meter_start_wh = json::get_number(*o, "meterStartWh");
  r.meter_stop_wh = json::get_number(*o, "meterStopWh");
  r.first_energy_wh = json::get_number(*o, "firstEnergyWh");
  r.last_energy_wh = json::get_number(*o, "lastEnergyWh");
  r.first_energy_at_ms = parse_time(*o, "firstEnergyAt");
  r.last_energy_at_ms = parse_time(*o, "lastEnergyAt");
  r.stop_reason = json::get_string(*o, "stopReason").value_or("");
  r.last_seq_no = json::get_int(*o, "lastSeqNo").value_or(-1);
  r.events = json::get_int(*o, "events").value_or(0);
  r.meter_values = json::get_int(*o, "meterValueCount").value_or(0);
  r.remote_start_id = json::get_int(*o, "remoteStartId");
  return r;
}

}  // namespace evbroker::actors
