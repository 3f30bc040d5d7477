#pragma once
// Keys of table station_runtime: one entry per kind of fact a station reports, so that each
// message overwrites its own entry and no handler has to read-modify-write a station document.
// The values are records of records.schema.json (generated/record_types.hpp):
//   <id> \0 boot       BootRecord {"bootedAt", "payload": BootNotification as sent}
//   <id> \0 conn       ConnectionRecord {"protocol", "connectedAt", "remoteAddress", "gateway"?}
//                      (last connection)
//   <id> \0 seen       LastSeenRecord {"lastSeen"}   (written on disconnect)
//   <id> \0 firmware | log | diagnostics | publishFirmware   StatusReportRecord {"timestamp", "payload": as sent}
//   <id> \0 provisioning   ProvisioningRecord {"startedAt", "finishedAt"?, "steps": [...]}
//   <id> \0 securityUpgrade   SecurityUpgradeRecord {"fromProfile", "toProfile", "state", "steps": [...], ...}
//   <id> \0 status \0 <u64 evse><u64 connector>   ConnectorStatusRecord {"evseId","connectorId","status",...}

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

enum class RuntimeField {
  boot,
  conn,
  seen,
  firmware,
  log,
  diagnostics,
  publish_firmware,
  provisioning,
  security_upgrade
};

inline std::string_view runtime_field_name(RuntimeField f) {
  switch (f) {
    case RuntimeField::boot: return "boot";
    case RuntimeField::conn: return "conn";
    case RuntimeField::seen: return "seen";
    case RuntimeField::firmware: return "firmware";
    case RuntimeField::log: return "log";
    case RuntimeField::diagnostics: return "diagnostics";
    case RuntimeField::publish_firmware: return "publishFirmware";
    case RuntimeField::provisioning: return "provisioning";
    case RuntimeField::security_upgrade: return "securityUpgrade";
  }
  return "?";
}

inline std::string runtime_key(std::string_view station, RuntimeField f) {
  return storage::key({station, runtime_field_name(f)});
}

inline std::string connector_prefix(std::string_view station) { return storage::prefix({station, "status"}); }

inline std::string connector_key(std::string_view station, std::int64_t evse, std::int64_t connector) {
  auto k = connector_prefix(station);
  storage::append_u64(k, static_cast<std::uint64_t>(evse));
  storage::append_u64(k, static_cast<std::uint64_t>(connector));
  return k;
}

}  // namespace evbroker::actors
