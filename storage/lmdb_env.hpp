#pragma once
// Internal to storage/: the LMDB environment shared by Store, ReadTxn and GroupCommitter, and the
// WriteTxn the writer thread hands to operations. Not installed, not for other layers: everything
// outside storage/ goes through lmdb_store.hpp and group_commit.hpp.

#include <lmdb.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "storage/lmdb_store.hpp"

namespace evbroker::storage::detail {

inline constexpr std::size_t kTableCount = static_cast<std::size_t>(Table::count_);

/// Thrown by LmdbWriteTxn when LMDB reports MDB_MAP_FULL; the group committer grows the map and
/// reruns the batch.
struct MapFullError : StoreError {
  using StoreError::StoreError;
};

/// "what: reason" with LMDB's text for rc.
[[noreturn]] void throw_mdb(const char* what, Table table, int rc);

/// The open environment. Read transactions pass a gate so that the writer can change the map size
/// (which unmaps and remaps the file, invalidating every pointer into it) only while no read
/// transaction of this process is open.
struct Env {
  MDB_env* env = nullptr;
  /// The open `<dir>/evbroker.lock` whose flock keeps other opens of the directory out (-1: none).
  /// ~Store closes it after the environment, so nobody else opens the store while we still use it.
  int lock_fd = -1;
  MDB_dbi dbi[kTableCount] = {};
  std::string dir;
  StoreOptions options;

  MDB_dbi table(Table t) const;

  // ---- the resize gate ----
  /// Blocks while a resize is under way, then counts one more open read transaction.
  void enter_reader();
  void leave_reader();
  /// Waits until no read transaction is open, sets the new map size (bytes), lets readers in again.
  /// Returns LMDB's result code. Must be called with no write transaction open.
  int resize(std::size_t new_size);
  /// The current map size in bytes.
  std::size_t map_size() const;

 private:
  mutable std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  std::size_t readers_ = 0;
  bool resizing_ = false;
};

/// The read helpers shared by ReadTxn and LmdbWriteTxn (txn may be read-only or read-write).
std::optional<std::string> txn_get(const Env& env, MDB_txn* txn, Table table, std::string_view key);
std::size_t txn_scan(const Env& env, MDB_txn* txn, Table table, std::string_view prefix, const ScanFn& fn,
                     std::string_view start);
std::size_t txn_scan_reverse(const Env& env, MDB_txn* txn, Table table, std::string_view prefix, const ScanFn& fn);
std::size_t txn_count(const Env& env, MDB_txn* txn, Table table);

/// The WriteTxn of one operation: a nested transaction of the batch's write transaction.
class LmdbWriteTxn final : public WriteTxn {
 public:
  LmdbWriteTxn(const Env& env, MDB_txn* txn) noexcept : env_(&env), txn_(txn) {}

  std::optional<std::string> get(Table table, std::string_view key) const override;
  std::size_t scan(Table table, std::string_view prefix, const ScanFn& fn, std::string_view start = {}) const override;
  std::size_t scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const override;
  std::size_t count(Table table) const override;
  void put(Table table, std::string_view key, std::string_view value) override;
  bool del(Table table, std::string_view key) override;
  std::size_t del_prefix(Table table, std::string_view prefix) override;
  std::uint64_t next(std::string_view counter) override;

  /// True once any call saw MDB_MAP_FULL (even if the operation caught the exception): the batch
  /// must be rerun in a larger map.
  bool map_full() const noexcept { return map_full_; }

 private:
  [[noreturn]] void fail(const char* what, Table table, int rc);

  const Env* env_;
  MDB_txn* txn_;
  bool map_full_ = false;
};

}  // namespace evbroker::storage::detail

namespace evbroker::storage {
/// Store's state is the environment (defined here so that group_commit.cpp can reach it).
struct Store::Impl : detail::Env {};
}  // namespace evbroker::storage
