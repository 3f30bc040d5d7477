#pragma once
// What one station can make the node keep is bounded per station (issue 12: one station wrote
// ~100 MB of unknown-vendor DataTransfers in under a second). Each kind of record a station fills at
// will has a budget of entries and bytes; its usage is kept next to the station's other facts
// (station_runtime <id>\0usage\0<kind>) and changes in the same store operation as the records, so
// it is exact. Over budget, nothing is written and the station is told (DataTransfer Rejected, or a
// CALLERROR GenericError): nothing already acknowledged is ever dropped to make room. Room comes
// back when an operator clears the records (DELETE /api/v0/cs/{id}/events, .../device-model) or,
// for events, when they pass the retention age (retention.hpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

enum class BudgetKind : std::uint8_t {
  events,        // table events: security events, NotifyEvent, reports, DataTransfer, ... (handlers/)
  device_model,  // table device_model: NotifyReport data
  meter_values,  // table meter_values outside any transaction
};
std::string_view budget_name(BudgetKind kind);

struct Budget {
  std::uint64_t max_entries = 0;
  std::uint64_t max_bytes = 0;  // keys and values
};

/// The node's per-station budgets (--station-* flags).
struct StationBudgets {
  Budget events{10000, 8 << 20};
  Budget device_model{20000, 16 << 20};
  Budget meter_values{10000, 4 << 20};
  /// Connectors (EVSE and connector id pairs) a station may report the status of.
  std::size_t max_connectors = 128;
  const Budget& of(BudgetKind kind) const;
};

struct Usage {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

/// What `station` has stored of `kind`.
Usage read_usage(const storage::Reader& reader, std::string_view station, BudgetKind kind);
/// Sets it (after clearing records, or when counting them afresh).
void write_usage(storage::WriteTxn& txn, std::string_view station, BudgetKind kind, Usage usage);

/// Thrown by put_within_budget: the operation is undone as a whole and the station is answered with
/// what() (commit_then_reply does both).
struct BudgetExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Puts `key` -> `value` into `table` for `station`, counting it against its budget of `kind` (a
/// value that replaces one counts the difference). False, and nothing written, when it would not fit.
bool try_put_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view value,
                           std::string_view station, BudgetKind kind, const Budget& budget);
/// The same, throwing BudgetExceeded when it would not fit.
void put_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view value,
                       std::string_view station, BudgetKind kind, const Budget& budget);
/// Deletes a budgeted record and gives its room back. False when it was not there.
bool del_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view station,
                       BudgetKind kind);

/// The text a station (and the log) gets when a budget is full.
std::string budget_full_message(std::string_view station, BudgetKind kind, const Budget& budget);

}  // namespace evbroker::actors
