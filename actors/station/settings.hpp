#pragma once
// Settings an operator wants on a station (POST /api/v0/cs/{csId}/reconfigure, MaEVe's
// ChargeStationSettings). They are stored as Pending, pushed as soon as the station is connected
// and booted (SetVariables for 2.0.1, one ChangeConfiguration per key for 1.6), and the station's
// answer per key is stored. Table settings: <station> \0 <setting key> -> SettingRecord
// (records.schema.json) {"value","status",...}.
//
// Keys: 1.6 the configuration key ("HeartbeatInterval"); 2.0.1 MaEVe's form
// <component>[;<instance>[;<evseId>]]/<variable>[;<instance>[;<attributeType>]].

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/core/messages.hpp"
#include "protocol/ocpp201/types.hpp"
#include "storage/group_commit.hpp"

namespace evbroker::actors {

/// Parses a 2.0.1 setting key into SetVariableData (value left empty). nullopt + error when bad.
std::optional<ocpp201::SetVariableDataType> parse_setting_key(std::string_view key, std::string& error);

struct PendingSetting {
  std::string key;
  std::string value;
};

/// Settings of the station still waiting to be applied.
std::vector<PendingSetting> pending_settings(const storage::Reader& reader, std::string_view station);

/// One CALL that applies some settings, and which keys it carries with which values.
struct SettingsCall {
  CsmsCall call;
  std::vector<std::string> keys;
  std::vector<std::string> values;  // keys[i] was sent with values[i]
};

/// How much one SetVariables may carry: what the station reported in its device model
/// (DeviceDataCtrlr ItemsPerMessage / BytesPerMessage, instance SetVariables), else these defaults.
struct SettingsBatchLimits {
  static constexpr std::size_t kDefaultItems = 10;
  std::size_t items = kDefaultItems;
  std::size_t bytes = 0;  // 0: not reported, no limit
};
SettingsBatchLimits settings_batch_limits(const storage::Reader& reader, std::string_view station);

/// The calls that apply `pending`: one ChangeConfiguration per key (1.6), or SetVariables batched
/// within `limits` (2.0.1; a single item larger than the byte limit still goes, alone).
std::vector<SettingsCall> settings_calls(ocpp::Version version, const std::vector<PendingSetting>& pending,
                                         const SettingsBatchLimits& limits = {});

/// What of `sent` (a call computed at the start of a push round) is still to go when its turn
/// comes: the keys still Pending in the store with the value the call carries, and not `held` (a
/// cancel under way, api_station_pending.cpp). Empty: nothing of it is left to send.
std::vector<PendingSetting> still_pending(const storage::Reader& reader, std::string_view station,
                                          const SettingsCall& sent, const std::set<std::string>& held);

/// How many settings of the station are waiting to be applied.
std::size_t count_pending_settings(const storage::Reader& reader, std::string_view station);

/// Stores the station's answer per key, but only for keys that still wait with the value that was
/// sent: a value changed meanwhile stays pending for the next push.
void store_settings_outcome(storage::WriteTxn& txn, std::string_view station, const SettingsCall& sent,
                            const std::vector<std::pair<std::string, std::string>>& outcome, std::int64_t at_ms);

/// The status per key that the station's answer gives (failed calls leave the keys pending).
std::vector<std::pair<std::string, std::string>> settings_outcome(ocpp::Version version, const SettingsCall& sent,
                                                                  const CsmsCallResult& result);

/// Table entry of a setting (a SettingRecord); `at_ms` is its updatedAt.
std::string setting_record(std::string_view value, std::string_view status, std::int64_t at_ms,
                           std::string_view detail = {});
std::string setting_key(std::string_view station, std::string_view key);

}  // namespace evbroker::actors
