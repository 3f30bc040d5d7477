#pragma once
// The durable store: one LMDB environment under the data directory with a fixed set of named
// tables. Values are opaque bytes (the node stores compact JSON; see storage/README.md for the
// record layout per table). Readers open read transactions from any thread; all writes go through
// the GroupCommitter (group_commit.hpp), the environment's only writer.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"

namespace evbroker::storage {

/// The named tables (LMDB sub-databases). The names on disk are those of table_name().
enum class Table : std::uint8_t {
  stations,         // station id -> registration (security profile, password hash, flags)
  station_runtime,  // station id -> what the station told us (boot info, protocol, connectors, ...)
  tokens,           // token uid -> token (MaEVe's Token shape)
  transactions,     // station id \0 transaction id -> transaction record
  tx_index,         // secondary keys: idempotency keys, active transaction by idTag, time index
  meter_values,     // station id \0 transaction id \0 u64 BE sequence -> meter value JSON
  events,           // station id \0 u64 BE sequence -> security event / notification JSON
  device_model,     // station id \0 component \0 variable -> reported attributes JSON
  settings,         // station id -> settings to push and their results
  counters,         // counter name -> u64 (little endian, 8 bytes)
  certificates,     // certificate hash -> certificate (PKI issue)
  count_            // number of tables, not a table
};

std::string_view table_name(Table table) noexcept;

struct StoreOptions {
  /// Virtual address space reserved for the map; grown automatically when full.
  std::size_t map_size_bytes = std::size_t{8} << 30;
  /// fsync on every commit (the default, and the only mode where acknowledged means durable).
  bool sync = true;
  unsigned max_readers = 1024;
};

/// Views handed to scan callbacks are valid only inside the callback.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;  // false stops

/// Read access shared by ReadTxn and WriteTxn.
class Reader {
 public:
  virtual ~Reader() = default;
  /// A copy of the value, or nullopt when the key is absent.
  virtual std::optional<std::string> get(Table table, std::string_view key) const = 0;
  /// Calls fn for every key starting with `prefix`, in key order, from `start` (inclusive) when
  /// it is not empty (it must itself start with prefix). Returns the number of calls made.
  virtual std::size_t scan(Table table, std::string_view prefix, const ScanFn& fn,
                           std::string_view start = {}) const = 0;
  /// Same, in reverse key order (newest first for u64 BE sequence keys).
  virtual std::size_t scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const = 0;
  /// Number of entries in the table.
  virtual std::size_t count(Table table) const = 0;
};

/// Changes made inside one GroupCommitter operation. Throwing StoreError (or any exception)
/// from an operation undoes that operation's changes only.
class WriteTxn : public Reader {
 public:
  virtual void put(Table table, std::string_view key, std::string_view value) = 0;
  /// Returns false when the key was absent.
  virtual bool del(Table table, std::string_view key) = 0;
  /// Deletes every key with this prefix; returns how many.
  virtual std::size_t del_prefix(Table table, std::string_view prefix) = 0;
  /// Increments the named counter and returns its new value (the first call returns 1).
  virtual std::uint64_t next(std::string_view counter) = 0;
};

/// A read transaction (a consistent snapshot). Cheap; keep it short-lived. Not thread-safe:
/// use one per thread (it may be moved to another thread). Never hold one while waiting for a
/// write's completion: growing a full map waits until every read transaction has ended.
class ReadTxn : public Reader {
 public:
  ~ReadTxn() override;
  ReadTxn(ReadTxn&&) noexcept;
  ReadTxn& operator=(ReadTxn&&) noexcept;
  std::optional<std::string> get(Table table, std::string_view key) const override;
  std::size_t scan(Table table, std::string_view prefix, const ScanFn& fn, std::string_view start = {}) const override;
  std::size_t scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const override;
  std::size_t count(Table table) const override;

 private:
  friend class Store;
  struct Impl;
  explicit ReadTxn(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Outlives every ReadTxn and the GroupCommitter made from it.
class Store {
 public:
  /// Opens (creating when needed) the environment in `dir` (created too), with every table.
  /// Takes an exclusive lock on the directory (`<dir>/evbroker.lock`, holding the holder's PID) for
  /// the Store's lifetime: a second open of the same directory, by another process or by this one,
  /// fails and names the holder's PID. Refuses a damaged store instead of starting on it: an empty
  /// (0-byte) or truncated data.mdb, a file LMDB does not recognise. The error names the path, what
  /// is wrong and what to do (e.g. "data: Permission denied: the user running evbroker must ...").
  static Expected<std::unique_ptr<Store>, std::string> open(const std::string& dir, const StoreOptions& options = {});
  ~Store();

  ReadTxn read() const;
  const std::string& directory() const;

 private:
  friend class GroupCommitter;
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- keys -------------------------------------------------------------------------------------
/// Joins parts with a NUL byte (station ids and transaction ids never hold one), so that
/// key({"CS1"}) + '\0' is the prefix of every key of station CS1.
std::string key(std::initializer_list<std::string_view> parts);
/// Prefix form: the parts joined and followed by the separator.
std::string prefix(std::initializer_list<std::string_view> parts);
/// Appends v as 8 bytes big endian, so that keys sort by v.
void append_u64(std::string& key, std::uint64_t v);
/// Reads a big-endian u64 from the last 8 bytes of a key (0 when shorter).
std::uint64_t trailing_u64(std::string_view key);
/// Reads a big-endian u64 from the first 8 bytes of `bytes` (0 when shorter): a u64 inside a key.
std::uint64_t read_u64(std::string_view bytes);
/// Appends v as 8 bytes that sort in signed order: big endian of v with the sign bit flipped. Keys
/// sort by v across the whole range, negative values (times before 1970, such as 0001-01-01 from a
/// station with an unset clock) before 0 and 0 before positive ones; append_u64 of a negative
/// value would sort it after every positive one.
void append_i64(std::string& key, std::int64_t v);
/// The i64 append_i64 wrote, from the first 8 bytes of `bytes` (0 when shorter).
std::int64_t read_i64(std::string_view bytes);
/// The i64 append_i64 wrote at the end of a key (0 when shorter than 8 bytes).
std::int64_t trailing_i64(std::string_view key);

// ---- the store format marker ---------------------------------------------------------------------
/// The layout version of the node's records (storage/README.md lists the formats), kept under this
/// key of Table::counters as 8 bytes little endian (the encoding of WriteTxn::next).
inline constexpr std::string_view kStoreFormatKey = "store_format";
/// The stored format, 0 when none is stored (a store written before the marker, or a new one).
/// Throws StoreError when the value is not 8 bytes (a damaged marker).
std::uint64_t stored_format(const Reader& reader);
/// Stores the format; commits with the operation it is part of.
void set_stored_format(WriteTxn& txn, std::uint64_t format);

}  // namespace evbroker::storage
