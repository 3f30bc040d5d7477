#include "actors/records/station_budget.hpp"

namespace evbroker::actors {
namespace {

std::string usage_key(std::string_view station, BudgetKind kind) {
  return storage::key({station, "usage", budget_name(kind)});
}

std::uint64_t read_u64_le(std::string_view bytes) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  return v;
}

void append_u64_le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

std::string_view budget_name(BudgetKind kind) {
  switch (kind) {
    case BudgetKind::events: return "events";
    case BudgetKind::device_model: return "deviceModel";
    case BudgetKind::meter_values: return "meterValues";
  }
  return "?";
}

const Budget& StationBudgets::of(BudgetKind kind) const {
  switch (kind) {
    case BudgetKind::events: return events;
    case BudgetKind::device_model: return device_model;
    case BudgetKind::meter_values: return meter_values;
  }
  return events;
}

Usage read_usage(const storage::Reader& reader, std::string_view station, BudgetKind kind) {
  auto stored = reader.get(storage::Table::station_runtime, usage_key(station, kind));
  if (!stored || stored->size() != 16) return {};
  return {read_u64_le(std::string_view(*stored).substr(0, 8)), read_u64_le(std::string_view(*stored).substr(8, 8))};
}

void write_usage(storage::WriteTxn& txn, std::string_view station, BudgetKind kind, Usage usage) {
  std::string value;
  append_u64_le(value, usage.entries);
  append_u64_le(value, usage.bytes);
  txn.put(storage::Table::station_runtime, usage_key(station, kind), value);
}

bool try_put_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view value,
                           std::string_view station, BudgetKind kind, const Budget& budget) {
  auto usage = read_usage(txn, station, kind);
  const auto previous = txn.get(table, key);
  const std::uint64_t old_bytes = previous ? key.size() + previous->size() : 0;
  const std::uint64_t new_bytes = key.size() + value.size();
  const std::uint64_t entries = usage.entries + (previous ? 0 : 1);
  const std::uint64_t bytes = usage.bytes - std::min(usage.bytes, old_bytes) + new_bytes;
  // A replacement that does not grow always fits: it is how a full station updates what it has.
  const bool grows = !previous || new_bytes > old_bytes;
  if (grows && (entries > budget.max_entries || bytes > budget.max_bytes)) return false;
  txn.put(table, key, value);
  write_usage(txn, station, kind, {entries, bytes});
  return true;
}

void put_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view value,
                       std::string_view station, BudgetKind kind, const Budget& budget) {
  if (!try_put_within_budget(txn, table, key, value, station, kind, budget))
    throw BudgetExceeded(budget_full_message(station, kind, budget));
}

bool del_within_budget(storage::WriteTxn& txn, storage::Table table, std::string_view key, std::string_view station,
                       BudgetKind kind) {
  const auto previous = txn.get(table, key);
  if (!previous) return false;
  txn.del(table, key);
  auto usage = read_usage(txn, station, kind);
  usage.entries -= std::min<std::uint64_t>(usage.entries, 1);
  usage.bytes -= std::min<std::uint64_t>(usage.bytes, key.size() + previous->size());
  write_usage(txn, station, kind, usage);
  return true;
}

std::string budget_full_message(std::string_view station, BudgetKind kind, const Budget& budget) {
  const std::string name(budget_name(kind));
  std::string clear = kind == BudgetKind::events ? "DELETE /api/v0/cs/" + std::string(station) + "/events"
                      : kind == BudgetKind::device_model
                          ? "DELETE /api/v0/cs/" + std::string(station) + "/device-model"
                          : "DELETE /api/v0/cs/" + std::string(station) + "/meter-values";
  return "storage budget for " + name + " of this station is full (" + std::to_string(budget.max_entries) +
         " entries, " + std::to_string(budget.max_bytes) + " bytes): not stored; an operator must clear them (" +
         clear + ")";
}

}  // namespace evbroker::actors
