#include "actors/records/store_format.hpp"

#include <functional>
#include <future>
#include <map>
#include <utility>
#include <vector>

#include "actors/records/transaction_keys.hpp"
#include "actors/records/station_budget.hpp"

namespace evbroker::actors {
namespace {

using storage::Table;

/// Format 1 wrote start times as plain u64 (two's complement for times before 1970); format 2
/// flips the sign bit so keys sort in signed order (append_i64). Same key otherwise.
void resign_time_keys(storage::WriteTxn& txn) {
  const auto prefix = time_index_prefix();
  std::vector<std::string> old_keys;
  txn.scan(Table::tx_index, prefix, [&](std::string_view key, std::string_view) {
    if (key.size() >= prefix.size() + 8) old_keys.emplace_back(key);
    return true;
  });
  for (const auto& key : old_keys) {
    std::string rewritten = key;
    rewritten[prefix.size()] = static_cast<char>(static_cast<unsigned char>(rewritten[prefix.size()]) ^ 0x80u);
    txn.del(Table::tx_index, key);
    txn.put(Table::tx_index, rewritten, "");
  }
}

/// Per-station usage of what format 1 stored without counting it.
void count_usage(storage::WriteTxn& txn) {
  std::map<std::pair<std::string, BudgetKind>, Usage> usage;
  auto add = [&](std::string_view station, BudgetKind kind, std::string_view key, std::string_view value) {
    auto& u = usage[{std::string(station), kind}];
    ++u.entries;
    u.bytes += key.size() + value.size();
  };
  txn.scan(Table::events, "", [&](std::string_view key, std::string_view value) {
    add(key.substr(0, key.find('\0')), BudgetKind::events, key, value);
    return true;
  });
  txn.scan(Table::device_model, "", [&](std::string_view key, std::string_view value) {
    add(key.substr(0, key.find('\0')), BudgetKind::device_model, key, value);
    return true;
  });
  txn.scan(Table::meter_values, "", [&](std::string_view key, std::string_view value) {
    // <station> \0 <transaction id> \0 <u64>: outside any transaction the id is "".
    const auto first = key.find('\0');
    if (first != std::string_view::npos && first + 1 < key.size() && key[first + 1] == '\0')
      add(key.substr(0, first), BudgetKind::meter_values, key, value);
    return true;
  });
  for (const auto& [station_kind, u] : usage) write_usage(txn, station_kind.first, station_kind.second, u);
}

std::optional<std::string> run(storage::GroupCommitter& committer, std::function<void(storage::WriteTxn&)> op) {
  std::promise<std::string> done;
  committer.submit(std::move(op), [&done](const std::string& error) { done.set_value(error); });
  auto error = done.get_future().get();
  if (error.empty()) return std::nullopt;
  return error;
}

}  // namespace

std::optional<std::string> migrate_store(const storage::Store& store, storage::GroupCommitter& committer,
                                         std::uint64_t* from) {
  std::uint64_t format = 0;
  bool fresh = false;
  try {
    auto reader = store.read();
    format = storage::stored_format(reader);
    fresh = format == 0 && reader.count(Table::stations) == 0 && reader.count(Table::tokens) == 0 &&
            reader.count(Table::transactions) == 0 && reader.count(Table::events) == 0 &&
            reader.count(Table::device_model) == 0;
  } catch (const std::exception& e) {
    return std::string("cannot read the store format: ") + e.what();
  }
  if (from) *from = format != 0 ? format : fresh ? 0 : 1;
  if (format > kStoreFormat)
    return "the store in " + store.directory() + " has format " + std::to_string(format) +
           ", written by a newer evbroker; this one reads formats up to " + std::to_string(kStoreFormat) +
           ": run the newer version, or restore a backup made for this one";
  if (format == kStoreFormat) return std::nullopt;
  // No marker: format 1, or a new store (where the migration finds nothing to change).
  if (auto error = run(committer, [](storage::WriteTxn& txn) {
        resign_time_keys(txn);
        count_usage(txn);
        storage::set_stored_format(txn, 2);
      }))
    return "migrating the store to format 2 failed: " + *error;
  return std::nullopt;
}

}  // namespace evbroker::actors
