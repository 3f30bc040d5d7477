#pragma once
// The device-model block's rules (device_model.cpp): how NotifyReport fills table device_model, one
// entry per component and variable, the latest report winning. handle_device_model answers the
// messages; unit tests run these on the in-memory store and on LMDB
// (tests/actors/device_model_block_test.cpp).

#include <string>
#include <string_view>

#include "actors/records/station_budget.hpp"
#include "protocol/ocpp201/types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors::device_model {

/// <station> \0 <component>[;<instance>[;<evseId>[;<connectorId>]]] \0 <variable>[;<instance>]
/// (an instance is written, possibly empty, whenever an EVSE follows it, so the parts stay in place).
std::string report_key(std::string_view station, const ocpp201::ComponentType& component,
                       const ocpp201::VariableType& variable);

/// NotifyReport: each reported variable's data (as the station sent it) replaces its entry, within the
/// station's device-model budget; a report that does not fit throws BudgetExceeded, which undoes all of
/// it. Returns the answer, "{}".
std::string store_report(storage::WriteTxn& txn, std::string_view station, const ocpp201::NotifyReportRequest& report,
                         const Budget& budget);

}  // namespace evbroker::actors::device_model
