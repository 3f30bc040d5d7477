// The store: opening, tables, reads and writes, prefix scans and the key helpers.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

using namespace evbroker::storage;
using namespace std::string_literals;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

namespace {

constexpr Table kAllTables[] = {Table::stations, Table::station_runtime, Table::tokens,      Table::transactions,
                                Table::tx_index, Table::meter_values,    Table::events,      Table::device_model,
                                Table::settings, Table::counters,        Table::certificates};

std::vector<std::string> scan_keys(const Reader& reader, Table table, std::string_view pfx,
                                   std::string_view start = {}) {
  std::vector<std::string> keys;
  reader.scan(
      table, pfx,
      [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
      },
      start);
  return keys;
}

std::vector<std::string> scan_keys_reverse(const Reader& reader, Table table, std::string_view pfx) {
  std::vector<std::string> keys;
  reader.scan_reverse(table, pfx, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  return keys;
}

/// Puts every key (value = the key) in one operation.
void put_all(GroupCommitter& committer, Table table, const std::vector<std::string>& keys) {
  REQUIRE(commit(committer, [&](WriteTxn& txn) {
            for (const auto& k : keys) txn.put(table, k, k);
          }) == "");
}

std::string seq_key(std::string_view station, std::string_view tx, std::uint64_t seq) {
  std::string k = prefix({station, tx});
  append_u64(k, seq);
  return k;
}

}  // namespace

TEST_CASE("a store opens in a new directory, creating it and every table", "[store]") {
  TempDir tmp;
  std::string dir = tmp / "a/b/data";
  auto opened = Store::open(dir);
  REQUIRE(opened.has_value());
  auto& store = *opened;
  CHECK(store->directory() == dir);
  CHECK(std::filesystem::is_directory(dir));
  CHECK(std::filesystem::exists(dir + "/data.mdb"));
  auto txn = store->read();
  for (Table t : kAllTables) CHECK(txn.count(t) == 0);
}

TEST_CASE("table names are the ones on disk", "[store]") {
  CHECK(table_name(Table::stations) == "stations");
  CHECK(table_name(Table::meter_values) == "meter_values");
  CHECK(table_name(Table::counters) == "counters");
  std::vector<std::string_view> names;
  for (Table t : kAllTables) names.push_back(table_name(t));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}

TEST_CASE("a reopened store keeps what was committed", "[store]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    GroupCommitter committer(*store);
    REQUIRE(commit(committer, [](WriteTxn& txn) {
              txn.put(Table::stations, "CS1", "registration");
              txn.put(Table::tokens, "04A1B2", "token");
              CHECK(txn.next("transactions") == 1);
            }) == "");
  }
  auto store = open_store(tmp.path());
  auto txn = store->read();
  CHECK(txn.get(Table::stations, "CS1") == "registration");
  CHECK(txn.get(Table::tokens, "04A1B2") == "token");
  CHECK(txn.count(Table::counters) == 1);
  GroupCommitter committer(*store);
  std::uint64_t next = 0;
  REQUIRE(commit(committer, [&](WriteTxn& w) { next = w.next("transactions"); }) == "");
  CHECK(next == 2);
}

TEST_CASE("opening a path that cannot be a directory fails with the path and the reason", "[store]") {
  TempDir tmp;
  std::string file = tmp / "plain-file";
  std::ofstream(file) << "not a directory";

  SECTION("a path under a regular file") {
    auto store = Store::open(file + "/data");
    REQUIRE_FALSE(store.has_value());
    CHECK_THAT(store.error(), Catch::Contains(file + "/data") && Catch::Contains("Not a directory"));
  }
  SECTION("the path of a regular file") {
    auto store = Store::open(file);
    REQUIRE_FALSE(store.has_value());
    CHECK_THAT(store.error(), Catch::StartsWith(file + ": ") && Catch::Contains("Not a directory"));
  }
  SECTION("the error says what to do") {
    auto store = Store::open(file);
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error() == file +
                               ": Not a directory: the path must name a directory, or one that can be created; "
                               "give this node another --data-dir");
  }
}

TEST_CASE("put, get and del", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);

  CHECK_FALSE(store->read().get(Table::stations, "CS1").has_value());
  std::string binary = "a\0b\xff"s;
  REQUIRE(commit(committer, [&](WriteTxn& txn) {
            txn.put(Table::stations, "CS1", "one");
            txn.put(Table::stations, "CS2", "");
            txn.put(Table::stations, binary, binary);
            CHECK(txn.get(Table::stations, "CS1") == "one");  // an operation reads its own writes
            CHECK(txn.count(Table::stations) == 3);
          }) == "");
  {
    auto txn = store->read();
    CHECK(txn.get(Table::stations, "CS1") == "one");
    CHECK(txn.get(Table::stations, "CS2") == "");
    CHECK(txn.get(Table::stations, binary) == binary);
    CHECK_FALSE(txn.get(Table::station_runtime, "CS1").has_value());  // tables are separate
    CHECK_FALSE(txn.get(Table::stations, "").has_value());
  }

  REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "CS1", "replaced"); }) == "");
  CHECK(store->read().get(Table::stations, "CS1") == "replaced");

  bool first = false, second = true;
  REQUIRE(commit(committer, [&](WriteTxn& txn) {
            first = txn.del(Table::stations, "CS1");
            second = txn.del(Table::stations, "CS1");
          }) == "");
  CHECK(first);
  CHECK_FALSE(second);
  CHECK_FALSE(store->read().get(Table::stations, "CS1").has_value());
  CHECK(store->read().count(Table::stations) == 2);
}

TEST_CASE("a key LMDB cannot hold fails its operation with a reason", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  CHECK_THAT(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "", "v"); }),
             Catch::Contains("key of 0 bytes"));
  CHECK_THAT(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, std::string(600, 'k'), "v"); }),
             Catch::Contains("key of 600 bytes"));
  CHECK(store->read().count(Table::stations) == 0);
}

TEST_CASE("a read transaction is a snapshot", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::tokens, "T1", "before"); }) == "");
  auto before = store->read();
  REQUIRE(commit(committer, [](WriteTxn& txn) {
            txn.put(Table::tokens, "T1", "after");
            txn.put(Table::tokens, "T2", "new");
          }) == "");
  CHECK(before.get(Table::tokens, "T1") == "before");
  CHECK_FALSE(before.get(Table::tokens, "T2").has_value());
  CHECK(before.count(Table::tokens) == 1);
  auto after = store->read();
  CHECK(after.get(Table::tokens, "T1") == "after");
  CHECK(after.count(Table::tokens) == 2);

  ReadTxn moved = std::move(after);
  CHECK(moved.get(Table::tokens, "T2") == "new");
}

TEST_CASE("scan stops at the prefix boundary: CS1 is not CS10", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  put_all(committer, Table::transactions,
          {key({"CS0", "z"}), key({"CS1", "tx-a"}), key({"CS1", "tx-b"}), key({"CS10", "tx-a"}), key({"CS1"}),
           key({"CS1", "tx-b", "more"}), key({"CS2", "a"})});
  auto txn = store->read();

  CHECK(scan_keys(txn, Table::transactions, prefix({"CS1"})) ==
        std::vector<std::string>{key({"CS1", "tx-a"}), key({"CS1", "tx-b"}), key({"CS1", "tx-b", "more"})});
  CHECK(scan_keys(txn, Table::transactions, prefix({"CS10"})) == std::vector<std::string>{key({"CS10", "tx-a"})});
  CHECK(scan_keys(txn, Table::transactions, prefix({"CS1", "tx-b"})) ==
        std::vector<std::string>{key({"CS1", "tx-b", "more"})});
  CHECK(scan_keys(txn, Table::transactions, prefix({"CS3"})).empty());
  CHECK(scan_keys(txn, Table::transactions, "").size() == 7);     // the empty prefix is every key
  CHECK(scan_keys(txn, Table::transactions, "CS1").size() == 5);  // a raw prefix matches CS10 as well

  SECTION("the callback stops the scan by returning false") {
    std::vector<std::string> seen;
    auto calls = txn.scan(Table::transactions, prefix({"CS1"}), [&](std::string_view k, std::string_view v) {
      CHECK(k == v);
      seen.emplace_back(k);
      return seen.size() < 2;
    });
    CHECK(calls == 2);
    CHECK(seen.size() == 2);
  }
}

TEST_CASE("scan from a start key and scan_reverse over sequence keys", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  std::vector<std::string> keys;
  for (std::uint64_t seq : {1ull, 2ull, 3ull, 255ull, 256ull, 65536ull, 1ull << 40})
    keys.push_back(seq_key("CS1", "tx", seq));
  for (std::uint64_t seq : {1ull, 2ull}) keys.push_back(seq_key("CS1", "tx2", seq));
  keys.push_back(seq_key("CS10", "tx", 7));
  put_all(committer, Table::meter_values, keys);
  auto txn = store->read();
  auto seqs = [](const std::vector<std::string>& ks) {
    std::vector<std::uint64_t> out;
    for (const auto& k : ks) out.push_back(trailing_u64(k));
    return out;
  };
  std::string pfx = prefix({"CS1", "tx"});

  CHECK(seqs(scan_keys(txn, Table::meter_values, pfx)) ==
        std::vector<std::uint64_t>{1, 2, 3, 255, 256, 65536, 1ull << 40});
  CHECK(seqs(scan_keys(txn, Table::meter_values, pfx, seq_key("CS1", "tx", 4))) ==
        std::vector<std::uint64_t>{255, 256, 65536, 1ull << 40});
  CHECK(seqs(scan_keys(txn, Table::meter_values, pfx, seq_key("CS1", "tx", 256))) ==
        std::vector<std::uint64_t>{256, 65536, 1ull << 40});
  CHECK(scan_keys(txn, Table::meter_values, pfx, seq_key("CS1", "tx", (1ull << 40) + 1)).empty());
  // A start before the prefix range starts at the range.
  CHECK(scan_keys(txn, Table::meter_values, pfx, "A").size() == 7);

  CHECK(seqs(scan_keys_reverse(txn, Table::meter_values, pfx)) ==
        std::vector<std::uint64_t>{1ull << 40, 65536, 256, 255, 3, 2, 1});
  CHECK(seqs(scan_keys_reverse(txn, Table::meter_values, prefix({"CS1", "tx2"}))) == std::vector<std::uint64_t>{2, 1});
  // The last range of the table (nothing sorts after it).
  CHECK(seqs(scan_keys_reverse(txn, Table::meter_values, prefix({"CS10"}))) == std::vector<std::uint64_t>{7});
  CHECK(scan_keys_reverse(txn, Table::meter_values, prefix({"CS1"})).size() == 9);
  CHECK(scan_keys_reverse(txn, Table::meter_values, prefix({"CS0"})).empty());
  CHECK(scan_keys_reverse(txn, Table::meter_values, prefix({"CS2"})).empty());
  CHECK(scan_keys_reverse(txn, Table::meter_values, "").size() == 10);

  // Newest first, stopping after one: the latest sample.
  std::uint64_t latest = 0;
  auto calls = txn.scan_reverse(Table::meter_values, pfx, [&](std::string_view k, std::string_view) {
    latest = trailing_u64(k);
    return false;
  });
  CHECK(calls == 1);
  CHECK(latest == 1ull << 40);
}

TEST_CASE("scan_reverse handles prefixes ending in 0xFF bytes", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  put_all(committer, Table::events,
          {"a"s, "a\xfe\xff"s, "a\xff"s, "a\xff\x00"s, "a\xff\xff"s, "a\xff\xff\xff\x01"s, "b"s, "b\x00"s, "\xff\xff"s,
           "\xff\xff\x00"s, "\xff\xff\xff"s});
  auto txn = store->read();
  CHECK(scan_keys_reverse(txn, Table::events, "a\xff"s) ==
        std::vector<std::string>{"a\xff\xff\xff\x01"s, "a\xff\xff"s, "a\xff\x00"s, "a\xff"s});
  CHECK(scan_keys(txn, Table::events, "a\xff"s) ==
        std::vector<std::string>{"a\xff"s, "a\xff\x00"s, "a\xff\xff"s, "a\xff\xff\xff\x01"s});
  CHECK(scan_keys_reverse(txn, Table::events, "a\xff\xff"s) ==
        std::vector<std::string>{"a\xff\xff\xff\x01"s, "a\xff\xff"s});
  CHECK(scan_keys_reverse(txn, Table::events, "a"s).size() == 6);
  CHECK(scan_keys_reverse(txn, Table::events, "\xff"s) ==
        std::vector<std::string>{"\xff\xff\xff"s, "\xff\xff\x00"s, "\xff\xff"s});
  CHECK(scan_keys_reverse(txn, Table::events, "\xff\xff\xff\xff"s).empty());
  CHECK(scan_keys_reverse(txn, Table::events, "b"s) == std::vector<std::string>{"b\x00"s, "b"s});
}

TEST_CASE("del_prefix deletes one station's keys and no other's", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  put_all(committer, Table::device_model,
          {key({"CS1", "EVSE", "Power"}), key({"CS1", "EVSE", "Voltage"}), key({"CS1", "Connector", "Type"}),
           key({"CS10", "EVSE", "Power"}), key({"CS1"}), key({"CS0", "x"})});
  std::size_t deleted = 0, none = 1;
  REQUIRE(commit(committer, [&](WriteTxn& txn) {
            deleted = txn.del_prefix(Table::device_model, prefix({"CS1"}));
            none = txn.del_prefix(Table::device_model, prefix({"CS9"}));
            CHECK(txn.scan(Table::device_model, prefix({"CS1"}), [](auto, auto) { return true; }) == 0);
          }) == "");
  CHECK(deleted == 3);
  CHECK(none == 0);
  auto txn = store->read();
  CHECK(scan_keys(txn, Table::device_model, "") ==
        std::vector<std::string>{key({"CS0", "x"}), key({"CS1"}), key({"CS10", "EVSE", "Power"})});

  REQUIRE(commit(committer, [&](WriteTxn& w) { deleted = w.del_prefix(Table::device_model, ""); }) == "");
  CHECK(deleted == 3);
  CHECK(store->read().count(Table::device_model) == 0);
}

TEST_CASE("count is the number of entries of one table", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](WriteTxn& txn) {
            for (int i = 0; i < 100; ++i) txn.put(Table::tokens, "T" + std::to_string(i), "x");
            txn.put(Table::stations, "CS1", "x");
          }) == "");
  auto txn = store->read();
  CHECK(txn.count(Table::tokens) == 100);
  CHECK(txn.count(Table::stations) == 1);
  CHECK(txn.count(Table::settings) == 0);
}

TEST_CASE("key helpers join with NUL and keep u64 order", "[store][keys]") {
  CHECK(key({"CS1"}) == "CS1");
  CHECK(key({"CS1", "tx"}) == "CS1\0tx"s);
  CHECK(key({"CS1", "", "v"}) == "CS1\0\0v"s);
  CHECK(prefix({"CS1"}) == "CS1\0"s);
  CHECK(prefix({"CS1", "tx"}) == "CS1\0tx\0"s);
  CHECK(prefix({}).empty());
  CHECK(key({"CS1", "tx"}).starts_with(prefix({"CS1"})));
  CHECK_FALSE(key({"CS10", "tx"}).starts_with(prefix({"CS1"})));

  std::string k = "x";
  append_u64(k, 0x0102030405060708ull);
  CHECK(k == "x\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(trailing_u64(k) == 0x0102030405060708ull);
  CHECK(trailing_u64("short") == 0);
  CHECK(trailing_u64("") == 0);

  std::vector<std::uint64_t> values = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) + 5, ~0ull};
  std::vector<std::string> keys;
  for (auto v : values) {
    std::string s = prefix({"CS1"});
    append_u64(s, v);
    keys.push_back(s);
    CHECK(trailing_u64(s) == v);
  }
  CHECK(std::is_sorted(keys.begin(), keys.end()));
}

TEST_CASE("i64 keys sort in numeric order, times before 1970 included", "[store][keys]") {
  // 0001-01-01T00:00:00Z (an unset station clock), just before and at 1970, 9999-12-31T23:59:59.999Z.
  const std::vector<std::int64_t> values = {
      std::numeric_limits<std::int64_t>::min(), -62135596800000, -1, 0, 1, 1700000000000, 253402300799999,
      std::numeric_limits<std::int64_t>::max()};
  std::vector<std::string> keys;
  for (auto v : values) {
    std::string k = prefix({"time"});
    append_i64(k, v);
    k += key({"CS1", "tx"});  // the time sits inside the key, as in the tx_index time keys
    keys.push_back(k);
    CHECK(read_i64(std::string_view(k).substr(5)) == v);
    std::string tail = "x";
    append_i64(tail, v);
    CHECK(trailing_i64(tail) == v);
  }
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());

  std::string zero;
  append_i64(zero, 0);
  CHECK(zero == "\x80\0\0\0\0\0\0\0"s);  // the sign bit flipped, big endian
  std::string minus_one;
  append_i64(minus_one, -1);
  CHECK(minus_one == "\x7f\xff\xff\xff\xff\xff\xff\xff"s);
  CHECK(read_i64("short") == 0);
  CHECK(trailing_i64("") == 0);
}

TEST_CASE("u64 keys put a negative time after every positive one: why format 2 uses i64 keys", "[store][keys]") {
  std::string before_1970 = prefix({"time"}), after_1970 = prefix({"time"});
  append_u64(before_1970, static_cast<std::uint64_t>(std::int64_t{-62135596800000}));
  append_u64(after_1970, 1700000000000);
  CHECK(after_1970 < before_1970);
  // read_u64 decodes such a key from inside a key (what a migration reads back).
  CHECK(static_cast<std::int64_t>(read_u64(std::string_view(before_1970).substr(5))) == -62135596800000);
  CHECK(read_u64("1234567") == 0);
}

TEST_CASE("the store format marker is 0 until set and survives a reopen", "[store][format]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    CHECK(stored_format(store->read()) == 0);
    GroupCommitter committer(*store);
    REQUIRE(commit(committer, [](WriteTxn& txn) {
              CHECK(stored_format(txn) == 0);
              set_stored_format(txn, 2);
              CHECK(stored_format(txn) == 2);  // an operation reads its own marker
            }) == "");
    CHECK(stored_format(store->read()) == 2);
    // A failed operation's marker is undone with the rest of it.
    CHECK_FALSE(commit(committer, [](WriteTxn& txn) {
                  set_stored_format(txn, 3);
                  throw StoreError("migration failed");
                }).empty());
    CHECK(stored_format(store->read()) == 2);
  }
  auto store = open_store(tmp.path());
  CHECK(stored_format(store->read()) == 2);
  // Stored like a counter: 8 bytes little endian, under "store_format" in Table::counters.
  CHECK(store->read().get(Table::counters, "store_format") == "\x02\0\0\0\0\0\0\0"s);
  GroupCommitter committer(*store);
  std::uint64_t next = 0;
  REQUIRE(commit(committer, [&](WriteTxn& txn) { next = txn.next(kStoreFormatKey); }) == "");
  CHECK(next == 3);
  CHECK(stored_format(store->read()) == 3);
}

TEST_CASE("a store format marker that is not 8 bytes is an error, not format 0", "[store][format]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::counters, "store_format", "2"); }) == "");
  CHECK_THROWS_WITH(stored_format(store->read()), Catch::Contains("store format marker") && Catch::Contains("1 bytes"));
}
