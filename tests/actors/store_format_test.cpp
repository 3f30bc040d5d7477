// The store format marker and the migration from format 1 (issue 12, item 10: time keys that sort
// transactions before 1970 correctly; per-station usage counted for what was stored before budgets).

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "actors/records/transaction_keys.hpp"
#include "actors/records/station_budget.hpp"
#include "actors/records/store_format.hpp"
#include "../storage/helpers.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::storage::Table;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

namespace {

/// A time key as format 1 wrote it: the start time as a plain u64.
std::string format1_time_key(std::int64_t start_ms, std::string_view station, std::string_view transaction) {
  auto k = time_index_prefix();
  storage::append_u64(k, static_cast<std::uint64_t>(start_ms));
  k += transaction_key(station, transaction);
  return k;
}

std::vector<std::string> transactions_by_start(const storage::Reader& reader) {
  std::vector<std::string> out;
  const auto prefix = time_index_prefix();
  reader.scan(Table::tx_index, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(key.rfind('\0') + 1));
    return true;
  });
  return out;
}

constexpr std::int64_t kYear1 = -62135596800000;  // 0001-01-01T00:00:00Z
constexpr std::int64_t k2024 = 1717243200000;     // 2024-06-01T12:00:00Z

}  // namespace

TEST_CASE("a new store gets the current format and reports none found", "[store_format]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  std::uint64_t from = 99;
  CHECK_FALSE(migrate_store(*store, committer, &from).has_value());
  CHECK(from == 0);
  CHECK(storage::stored_format(store->read()) == kStoreFormat);
}

TEST_CASE("a format 1 store gets signed time keys and its usage counted", "[store_format]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](storage::WriteTxn& txn) {
            txn.put(Table::stations, "CS1", "{}");
            txn.put(Table::tx_index, format1_time_key(k2024, "CS1", "TX-2024"), "");
            txn.put(Table::tx_index, format1_time_key(kYear1, "CS1", "TX-YEAR1"), "");
            txn.put(Table::tx_index, format1_time_key(0, "CS1", "TX-1970"), "");
            auto event = storage::prefix({"CS1"});
            storage::append_u64(event, 1);
            txn.put(Table::events, event, "{\"timestamp\":\"2024-01-01T00:00:00.000Z\"}");
            auto idle = storage::prefix({"CS1", ""});
            storage::append_u64(idle, 7);
            txn.put(Table::meter_values, idle, "{}");
            auto in_tx = storage::prefix({"CS1", "TX-2024"});
            storage::append_u64(in_tx, 8);
            txn.put(Table::meter_values, in_tx, "{}");  // inside a transaction: not budgeted
          }) == "");
  // Format 1 sorts the year-1 transaction last.
  CHECK(transactions_by_start(store->read()) == std::vector<std::string>{"TX-1970", "TX-2024", "TX-YEAR1"});

  std::uint64_t from = 0;
  REQUIRE_FALSE(migrate_store(*store, committer, &from).has_value());
  CHECK(from == 1);
  auto reader = store->read();
  CHECK(storage::stored_format(reader) == 2);
  CHECK(transactions_by_start(reader) == std::vector<std::string>{"TX-YEAR1", "TX-1970", "TX-2024"});
  CHECK(reader.get(Table::tx_index, time_index_key(kYear1, "CS1", "TX-YEAR1")).has_value());
  CHECK(read_usage(reader, "CS1", BudgetKind::events).entries == 1);
  CHECK(read_usage(reader, "CS1", BudgetKind::meter_values).entries == 1);
  CHECK(read_usage(reader, "CS1", BudgetKind::device_model).entries == 0);

  // Running it again changes nothing.
  REQUIRE_FALSE(migrate_store(*store, committer, &from).has_value());
  CHECK(from == 2);
  CHECK(transactions_by_start(store->read()) == std::vector<std::string>{"TX-YEAR1", "TX-1970", "TX-2024"});
}

TEST_CASE("a store of a newer format is refused with a message", "[store_format]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](storage::WriteTxn& txn) { storage::set_stored_format(txn, kStoreFormat + 1); }) == "");
  auto problem = migrate_store(*store, committer);
  REQUIRE(problem.has_value());
  CHECK_THAT(*problem, Catch::Contains("written by a newer evbroker"));
  CHECK_THAT(*problem, Catch::Contains("format 3"));
}
