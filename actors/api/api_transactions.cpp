// Transactions: list by start time (optionally of one station), and one with all its meter values.

#include "actors/api/api_support.hpp"
#include "actors/records/transaction_keys.hpp"
#include "actors/records/records.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::api {
void list_transactions(Request& r) {
  auto page = parse_page(r);
  if (!page) return;
  std::optional<std::int64_t> from, to;
  if (!time_query(r, "from", from) || !time_query(r, "to", to)) return;
  const std::string station = r.query_value("csId");

  auto reader = r.ctx->store->read();
  const auto prefix = time_index_prefix();
  std::string start;
  if (from) {
    start = prefix;
    storage::append_i64(start, *from);
  }
  std::string body;
  ocpp::JsonWriter w(body);
  w.raw('[');
  std::size_t index = 0, written = 0;
  reader.scan(
      storage::Table::tx_index, prefix,
      [&](std::string_view key, std::string_view) {
        const auto rest = key.substr(prefix.size());
        if (rest.size() < 8) return true;
        const std::int64_t started = storage::read_i64(rest);
        if (to && started > *to) return false;
        const auto tx_key = rest.substr(8);
        const auto sep = tx_key.find('\0');
        if (!station.empty() && tx_key.substr(0, sep) != station) return true;
        if (index++ < page->offset) return true;
        auto stored = reader.get(storage::Table::transactions, tx_key);
        auto record = stored ? parse_transaction_record(*stored) : std::nullopt;
        if (!record) return true;
        if (written++) w.raw(',');
        write_api_json(w, *record);
        return written < page->limit;
      },
      start);
  w.raw(']');
  r.respond(json_response(200, std::move(body)));
}

void get_transaction(Request& r) {
  const auto& station = r.segments.at(1);
  const auto& id = r.segments.at(3);
  auto reader = r.ctx->store->read();
  auto stored = reader.get(storage::Table::transactions, transaction_key(station, id));
  auto record = stored ? parse_transaction_record(*stored) : std::nullopt;
  if (!record) return r.respond(error_response(404, "no transaction " + id + " of charge station " + station));
  std::string body;
  ocpp::JsonWriter w(body);
  write_api_json_open(w, *record);
  w.raw(",\"meterValues\":[");
  bool first = true;
  reader.scan(storage::Table::meter_values, meter_value_prefix(station, id),
              [&](std::string_view, std::string_view value) {
                if (!first) w.raw(',');
                first = false;
                w.raw(value);
                return true;
              });
  w.raw("]}");
  r.respond(json_response(200, std::move(body)));
}

}  // namespace evbroker::actors::api
