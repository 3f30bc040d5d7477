#include "actors/records/events.hpp"

#include "protocol/date_time.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors {

bool try_record_event(storage::WriteTxn& txn, std::string_view station, std::string_view type, std::string_view payload,
                      const Budget& budget, std::int64_t at_ms) {
  std::string record;
  ocpp::JsonWriter w(record);
  w.raw("{\"timestamp\":");
  w.date_time(ocpp::DateTime::from_unix_ms(at_ms));
  w.raw(",\"type\":");
  w.string(type);
  w.raw(",\"payload\":");
  w.raw(payload);  // already checked JSON: the decoded message's own text
  w.raw('}');
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
