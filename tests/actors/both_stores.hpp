#pragma once
// Shared by the block tests (*_block_test.cpp): the in-memory store and an LMDB store side by side.
// Each step of a test runs one operation on both; both must give the same answer and, after every
// step, hold the same contents, so a block's rules are checked without actors or sockets and the
// in-memory store (storage/memory_store.hpp) is kept honest against LMDB at the same time.

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "actors/records/records.hpp"
#include "actors/records/transaction_keys.hpp"
#include "protocol/decode.hpp"
#include "storage/group_commit.hpp"
#include "storage/memory_store.hpp"
#include "tests/storage/helpers.hpp"

namespace evbroker::actors::test {

inline constexpr std::int64_t kNow = 1'764'000'000'000;  // 2025-11-24T16:00:00Z
inline constexpr std::string_view kStation = "CS1";

/// One operation: returns its answer (response JSON); may throw, which undoes it.
using StepFn = std::function<std::string(storage::WriteTxn&)>;

class BothStores {
 public:
  BothStores()
      : lmdb_(storage::test::open_store(dir_.path())), committer_(std::make_unique<storage::GroupCommitter>(*lmdb_)) {}
  ~BothStores() { committer_.reset(); }  // the committer goes before its store
  BothStores(const BothStores&) = delete;
  BothStores& operator=(const BothStores&) = delete;

  /// Runs `step` on both stores and returns its answer, or "error: <why>" when it threw.
  std::string run(const StepFn& step) {
    std::string in_memory;
    try {
      memory_.write([&](storage::WriteTxn& txn) { in_memory = step(txn); });
    } catch (const std::exception& e) {
      in_memory = std::string("error: ") + e.what();
    }
    std::string on_lmdb;
    const std::string error = storage::test::commit(*committer_, [&](storage::WriteTxn& txn) { on_lmdb = step(txn); });
    if (!error.empty()) on_lmdb = "error: " + error;
    REQUIRE(in_memory == on_lmdb);
    REQUIRE(storage::describe_contents(memory_.reader()) == storage::describe_contents(lmdb_->read()));
    return in_memory;
  }

  /// The contents after the last step (both stores hold the same).
  const storage::Reader& reader() const { return memory_.reader(); }
  std::string contents() const { return storage::describe_contents(reader()); }

  std::optional<TransactionRecord> transaction(std::string_view id) const {
    auto stored = reader().get(storage::Table::transactions, transaction_key(kStation, id));
    return stored ? parse_transaction_record(*stored) : std::nullopt;
  }
  std::size_t count(storage::Table table) const { return reader().count(table); }
  std::size_t count_with_prefix(storage::Table table, std::string_view prefix) const {
    return reader().scan(table, prefix, [](std::string_view, std::string_view) { return true; });
  }

 private:
  storage::MemoryStore memory_;
  storage::test::TempDir dir_;
  std::unique_ptr<storage::Store> lmdb_;
  std::unique_ptr<storage::GroupCommitter> committer_;
};

/// A message as a station sends it, decoded by the generated decoder (the test fails when it is invalid).
template <class Message>
Message decoded(std::string_view json) {
  Message message;
  const auto result = ocpp::decode_payload(json, message);
  INFO(json);
  REQUIRE(result.has_value());
  return message;
}

/// Registers a token as the API would (table tokens, MaEVe's Token shape).
inline void add_token(BothStores& stores, std::string uid, bool valid = true,
                      std::optional<std::int64_t> expiry_ms = {}, std::optional<std::string> group = {}) {
  TokenRecord token;
  token.uid = std::move(uid);
  token.type = "RFID";
  token.valid = valid;
  token.cache_mode = "ALWAYS";
  token.expiry_ms = expiry_ms;
  token.group_id = std::move(group);
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::tokens, token.uid, to_json(token));
    return std::string();
  });
}

}  // namespace evbroker::actors::test
