#pragma once
// The records the node keeps in the store, with their JSON forms. Values in LMDB are compact JSON
// so that `mdb_dump` shows something a human can read and the API can often pass them through.
// Key layout per table: storage/README.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/json_writer.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

/// A registered charge station (table `stations`, key = station id).
struct StationRecord {
  int security_profile = 0;   // MaEVe numbering: 0 ws+Basic, 1 wss+Basic, 2 wss+client cert
  std::string password_salt;  // base64 of 16 random bytes; empty when no password is set
  std::string password_hash;  // base64(SHA-256(salt || base64SHA256Password))
  bool invalid_username_allowed = false;
  bool tolerant = false;  // accept off-spec payloads (unknown enum values, extra fields)
  std::int64_t registered_at_ms = 0;
};
std::string to_json(const StationRecord& record);
std::optional<StationRecord> parse_station_record(std::string_view json);

/// An authorization token (table `tokens`, key = uid), MaEVe's Token shape.
struct TokenRecord {
  std::string country_code;
  std::string party_id;
  std::string type;  // AD_HOC_USER APP_USER OTHER RFID
  std::string uid;
  std::string contract_id;
  std::optional<std::string> visual_number;
  std::string issuer;
  std::optional<std::string> group_id;
  bool valid = true;
  std::optional<std::string> language_code;
  std::string cache_mode;  // ALWAYS ALLOWED ALLOWED_OFFLINE NEVER
  std::int64_t last_updated_ms = 0;
  std::optional<std::int64_t> expiry_ms;  // ours, not MaEVe's: "expiryDate"; past it -> Expired
};
void write_json(ocpp::JsonWriter& w, const TokenRecord& token);
std::string to_json(const TokenRecord& token);
std::optional<TokenRecord> parse_token_record(std::string_view json);

/// A charging transaction (table `transactions`, key = station id \0 transaction id).
struct TransactionRecord {
  std::string station_id;
  std::string transaction_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string id_token;
  std::int64_t evse_id = 0;
  std::int64_t connector_id = 0;
  bool ended = false;
  std::int64_t started_at_ms = 0;  // 0: not known yet (2.0.1 events may arrive out of order)
  std::int64_t ended_at_ms = 0;
  std::optional<double> meter_start_wh;   // 1.6 meterStart
  std::optional<double> meter_stop_wh;    // 1.6 meterStop
  std::optional<double> first_energy_wh;  // earliest / latest Energy.Active.Import.Register reading
  std::optional<double> last_energy_wh;   // by meter value timestamp (offline events arrive late)
  std::int64_t first_energy_at_ms = 0;
  std::int64_t last_energy_at_ms = 0;
  std::string stop_reason;
  std::int64_t last_seq_no = -1;  // 2.0.1: highest seqNo seen
  std::int64_t events = 0;        // messages that made up the transaction (events, meter values)
  std::int64_t meter_values = 0;  // stored meter values
  std::optional<std::int64_t> remote_start_id;

  /// Energy delivered, once the transaction ended: meterStop - meterStart (1.6), or the last
  /// minus the first energy register reading.
  std::optional<double> energy_wh() const;
};
std::string to_json(const TransactionRecord& record);
std::optional<TransactionRecord> parse_transaction_record(std::string_view json);
/// The API form (docs/api.md <transaction>), without the closing brace so that the caller can add
/// "meterValues".
void write_api_json_open(ocpp::JsonWriter& w, const TransactionRecord& record);

}  // namespace evbroker::actors
