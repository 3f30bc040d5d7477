#pragma once
// Table events: messages kept for an operator to review (security events, notifications, vendor
// DataTransfers, StopTransactions for unknown transactions, ...), per station and newest last,
// within the station's events budget (station_budget.hpp). Key: <station> \0 <u64 sequence>;
// value: an EventRecord (records.schema.json), {"timestamp": <when it arrived>, "type": <action or
// kind>, "payload": <the message>}.

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/records/station_budget.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

/// Records the message; throws BudgetExceeded when the station's budget is full (the caller's
/// whole operation is undone and the station told so). `at_ms` is when the message arrived.
void record_event(storage::WriteTxn& txn, std::string_view station, std::string_view type, std::string_view payload,
                  const Budget& budget, std::int64_t at_ms);
/// The same; false, and nothing stored, when the budget is full.
bool try_record_event(storage::WriteTxn& txn, std::string_view station, std::string_view type, std::string_view payload,
                      const Budget& budget, std::int64_t at_ms);

}  // namespace evbroker::actors
