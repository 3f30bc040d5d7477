#pragma once
// The provisioning block's records and rules (provisioning.cpp): what it keeps of a station's
// reports in table station_runtime (layout in actors/records/runtime_keys.hpp) and the limit on
// the connectors one station may report. handle_provisioning answers the messages; unit tests run
// these on the in-memory store and on LMDB (tests/actors/provisioning_block_test.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/records/registration_status.hpp"
#include "protocol/date_time.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors::provisioning {

/// A BootNotification kept as the station sent it, with when it arrived and what it was answered (a BootRecord).
std::string boot_record(std::int64_t ms, std::string_view payload, Registration status);
/// A firmware, log, diagnostics or publish-firmware status kept as sent, with when it arrived (a
/// StatusReportRecord).
std::string status_report_record(std::int64_t ms, std::string_view payload);

/// A connector's last status, a ConnectorStatusRecord (records.schema.json): {"evseId",
/// "connectorId", "status", "errorCode"?, "info"?, "timestamp"}. 1.6 connectors are their own EVSE
/// (evse = connector).
std::string connector_status_record(std::int64_t evse, std::int64_t connector, std::string_view status,
                                    std::optional<std::string_view> error_code, const std::optional<std::string>& info,
                                    ocpp::DateTime timestamp);

/// StatusNotification: `record` replaces the (EVSE, connector) pair's entry. A pair the station has
/// not reported before, when it already reported `max_connectors`, throws BudgetExceeded
/// (station_budget.hpp): nothing is stored and the station gets a CALLERROR saying why. Returns the
/// answer, "{}".
std::string store_connector_status(storage::WriteTxn& txn, std::string_view station, std::int64_t evse,
                                   std::int64_t connector, std::string_view record, std::size_t max_connectors);

}  // namespace evbroker::actors::provisioning
