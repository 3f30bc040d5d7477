#include "actors/records/events.hpp"

#include "actors/records/generated/record_types.hpp"

namespace evbroker::actors {

bool try_record_event(storage::WriteTxn& txn, std::string_view station, std::string_view type, std::string_view payload,
                      const Budget& budget, std::int64_t at_ms) {
  // The payload is already checked JSON: the decoded message's own text, kept as sent.
  const auto record =
      to_json(EventRecord{.timestamp_ms = at_ms, .type = std::string(type), .payload = std::string(payload)});
  auto k = storage::prefix({station});
  storage::append_u64(k, txn.next("event"));
  return try_put_within_budget(txn, storage::Table::events, k, record, station, BudgetKind::events, budget);
}

void record_event(storage::WriteTxn& txn, std::string_view station, std::string_view type, std::string_view payload,
                  const Budget& budget, std::int64_t at_ms) {
  if (!try_record_event(txn, station, type, payload, budget, at_ms))
    throw BudgetExceeded(budget_full_message(station, BudgetKind::events, budget));
}

}  // namespace evbroker::actors
