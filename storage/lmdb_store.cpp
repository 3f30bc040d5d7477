// The LMDB environment, read transactions, the operations' write transactions and the key helpers.

#include "storage/lmdb_store.hpp"

#include <lmdb.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "storage/lmdb_env.hpp"

namespace evbroker::storage {

namespace {

using detail::Env;

MDB_val to_val(std::string_view s) noexcept {
  // LMDB never writes through a key or data pointer handed to it.
  return MDB_val{s.size(), const_cast<char*>(s.data())};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

std::string mdb_error(std::string_view context, int rc) {
  std::string s(context);
  s += ": ";
  s += mdb_strerror(rc);
  return s;
}

/// A cursor closed on every way out.
class Cursor {
 public:
  Cursor(const Env& env, MDB_txn* txn, Table table) {
    if (int rc = mdb_cursor_open(txn, env.table(table), &cursor_); rc != 0) detail::throw_mdb("open cursor on", table, rc);
  }
  ~Cursor() { mdb_cursor_close(cursor_); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  int get(MDB_val& key, MDB_val& value, MDB_cursor_op op) { return mdb_cursor_get(cursor_, &key, &value, op); }
  /// Positions at the first key >= `seek` (the first key of all when seek is empty).
  int seek(std::string_view seek, MDB_val& key, MDB_val& value) {
    if (seek.empty()) return get(key, value, MDB_FIRST);
    key = to_val(seek);
    return get(key, value, MDB_SET_RANGE);
  }
  MDB_cursor* raw() const noexcept { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
};

/// A key LMDB can hold: 1 byte up to the environment's maximum (511 by default).
bool storable_key(const Env& env, std::string_view key) {
  return !key.empty() && key.size() <= static_cast<std::size_t>(mdb_env_get_maxkeysize(env.env));
}

}  // namespace

// ---- tables ------------------------------------------------------------------------------------------

std::string_view table_name(Table table) noexcept {
  switch (table) {
    case Table::stations: return "stations";
    case Table::station_runtime: return "station_runtime";
    case Table::tokens: return "tokens";
    case Table::transactions: return "transactions";
    case Table::tx_index: return "tx_index";
    case Table::meter_values: return "meter_values";
    case Table::events: return "events";
    case Table::device_model: return "device_model";
    case Table::settings: return "settings";
    case Table::counters: return "counters";
    case Table::certificates: return "certificates";
    case Table::count_: break;
  }
  return "?";
}

namespace detail {

void throw_mdb(const char* what, Table table, int rc) {
  std::string context = what;
  context += " table ";
  context += table_name(table);
  if (rc == MDB_MAP_FULL) throw MapFullError(mdb_error(context, rc));
  throw StoreError(mdb_error(context, rc));
}

MDB_dbi Env::table(Table t) const {
  auto index = static_cast<std::size_t>(t);
  if (index >= kTableCount) throw StoreError("invalid table " + std::to_string(index));
  return dbi[index];
}

void Env::enter_reader() {
  std::unique_lock lock(gate_mu_);
  gate_cv_.wait(lock, [this] { return !resizing_; });
  ++readers_;
}

void Env::leave_reader() {
  std::lock_guard lock(gate_mu_);
  if (--readers_ == 0 && resizing_) gate_cv_.notify_all();
}

int Env::resize(std::size_t new_size) {
  std::unique_lock lock(gate_mu_);
  resizing_ = true;
  gate_cv_.wait(lock, [this] { return readers_ == 0; });
  int rc = mdb_env_set_mapsize(env, new_size);
  resizing_ = false;
  lock.unlock();
  gate_cv_.notify_all();
  return rc;
}

std::size_t Env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env, &info);
  return info.me_mapsize;
}

// ---- reading (shared by read and write transactions) -------------------------------------------------

std::optional<std::string> txn_get(const Env& env, MDB_txn* txn, Table table, std::string_view key) {
  MDB_dbi dbi = env.table(table);
  if (!storable_key(env, key)) return std::nullopt;
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != 0) throw_mdb("get from", table, rc);
  return std::string(to_view(v));
}

/// From the entry the cursor was positioned on (`rc` of that positioning), calls fn for each entry
/// with the prefix, stepping with `step` (MDB_NEXT or MDB_PREV), until fn returns false.
static std::size_t walk_prefix(Cursor& cursor, Table table, std::string_view prefix, const ScanFn& fn, int rc, MDB_val& k,
                        MDB_val& v, MDB_cursor_op step, const char* what) {
  std::size_t calls = 0;
  while (rc == 0) {
    std::string_view key = to_view(k);
    if (!key.starts_with(prefix)) break;
    ++calls;
    if (!fn(key, to_view(v))) break;
    rc = cursor.get(k, v, step);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) throw_mdb(what, table, rc);
  return calls;
}

std::size_t txn_scan(const Env& env, MDB_txn* txn, Table table, std::string_view prefix, const ScanFn& fn,
                     std::string_view start) {
  Cursor cursor(env, txn, table);
  if (prefix.size() > static_cast<std::size_t>(mdb_env_get_maxkeysize(env.env))) return 0;  // no key that long
  // Start at the prefix itself, or later when `start` lies inside (or after) the prefix range.
  std::string_view from = !start.empty() && start > prefix ? start : prefix;
  MDB_val k{}, v{};
  int rc = cursor.seek(from, k, v);
  return walk_prefix(cursor, table, prefix, fn, rc, k, v, MDB_NEXT, "scan");
}

std::size_t txn_scan_reverse(const Env& env, MDB_txn* txn, Table table, std::string_view prefix, const ScanFn& fn) {
  Cursor cursor(env, txn, table);
  if (prefix.size() > static_cast<std::size_t>(mdb_env_get_maxkeysize(env.env))) return 0;
  // The last key with the prefix is the one just before the prefix's successor: the shortest key
  // greater than every key that starts with the prefix (drop trailing 0xFF bytes, add one to the
  // last byte). A prefix of only 0xFF bytes (or none) has no successor: start from the very end.
  std::string successor(prefix);
  while (!successor.empty() && static_cast<unsigned char>(successor.back()) == 0xFF) successor.pop_back();
  MDB_val k{}, v{};
  int rc = 0;
  if (successor.empty()) {
    rc = cursor.get(k, v, MDB_LAST);
  } else {
    successor.back() = static_cast<char>(static_cast<unsigned char>(successor.back()) + 1);
    k = to_val(successor);
    rc = cursor.get(k, v, MDB_SET_RANGE);
    if (rc == 0) {
      rc = cursor.get(k, v, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
      rc = cursor.get(k, v, MDB_LAST);  // nothing at or after the successor: the range ends the table
    }
  }
  return walk_prefix(cursor, table, prefix, fn, rc, k, v, MDB_PREV, "scan (reverse)");
}

std::size_t txn_count(const Env& env, MDB_txn* txn, Table table) {
  MDB_stat stat{};
  if (int rc = mdb_stat(txn, env.table(table), &stat); rc != 0) throw_mdb("count", table, rc);
  return stat.ms_entries;
}

// ---- the operations' write transaction ---------------------------------------------------------------

void LmdbWriteTxn::fail(const char* what, Table table, int rc) {
  if (rc == MDB_MAP_FULL) map_full_ = true;
  throw_mdb(what, table, rc);
}

std::optional<std::string> LmdbWriteTxn::get(Table table, std::string_view key) const {
  return txn_get(*env_, txn_, table, key);
}

std::size_t LmdbWriteTxn::scan(Table table, std::string_view prefix, const ScanFn& fn, std::string_view start) const {
  return txn_scan(*env_, txn_, table, prefix, fn, start);
}

std::size_t LmdbWriteTxn::scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const {
  return txn_scan_reverse(*env_, txn_, table, prefix, fn);
}

std::size_t LmdbWriteTxn::count(Table table) const { return txn_count(*env_, txn_, table); }

void LmdbWriteTxn::put(Table table, std::string_view key, std::string_view value) {
  MDB_dbi dbi = env_->table(table);
  if (!storable_key(*env_, key)) {
    throw StoreError("put into table " + std::string(table_name(table)) + ": key of " + std::to_string(key.size()) +
                     " bytes (must be 1 to " + std::to_string(mdb_env_get_maxkeysize(env_->env)) + ")");
  }
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  if (int rc = mdb_put(txn_, dbi, &k, &v, 0); rc != 0) fail("put into", table, rc);
}

bool LmdbWriteTxn::del(Table table, std::string_view key) {
  MDB_dbi dbi = env_->table(table);
  if (!storable_key(*env_, key)) return false;
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) fail("delete from", table, rc);
  return true;
}

std::size_t LmdbWriteTxn::del_prefix(Table table, std::string_view prefix) {
  Cursor cursor(*env_, txn_, table);
  if (prefix.size() > static_cast<std::size_t>(mdb_env_get_maxkeysize(env_->env))) return 0;
  std::size_t deleted = 0;
  for (;;) {
    // Seek afresh after every delete rather than rely on where mdb_cursor_del leaves the cursor.
    MDB_val k{}, v{};
    int rc = cursor.seek(prefix, k, v);
    if (rc == MDB_NOTFOUND) break;
    if (rc != 0) fail("delete prefix from", table, rc);
    if (!to_view(k).starts_with(prefix)) break;
    if (rc = mdb_cursor_del(cursor.raw(), 0); rc != 0) fail("delete prefix from", table, rc);
    ++deleted;
  }
  return deleted;
}

std::uint64_t LmdbWriteTxn::next(std::string_view counter) {
  std::uint64_t value = 0;
  if (auto stored = get(Table::counters, counter)) {
    if (stored->size() != 8) {
      throw StoreError("counter '" + std::string(counter) + "' holds " + std::to_string(stored->size()) +
                       " bytes, not 8");
    }
    for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>((*stored)[static_cast<std::size_t>(i)]);
  }
  ++value;
  char bytes[8];
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  put(Table::counters, counter, std::string_view(bytes, 8));
  return value;
}

}  // namespace detail

// ---- ReadTxn -----------------------------------------------------------------------------------------

struct ReadTxn::Impl {
  Env* env = nullptr;
  MDB_txn* txn = nullptr;

  explicit Impl(Env& e) : env(&e) { env->enter_reader(); }
  ~Impl() {
    if (txn != nullptr) mdb_txn_abort(txn);
    env->leave_reader();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

ReadTxn::ReadTxn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReadTxn::~ReadTxn() = default;
ReadTxn::ReadTxn(ReadTxn&&) noexcept = default;
ReadTxn& ReadTxn::operator=(ReadTxn&&) noexcept = default;

namespace {
void check_open(const void* impl) {
  if (impl == nullptr) throw StoreError("read transaction used after it was moved from");
}
}  // namespace

std::optional<std::string> ReadTxn::get(Table table, std::string_view key) const {
  check_open(impl_.get());
  return detail::txn_get(*impl_->env, impl_->txn, table, key);
}

std::size_t ReadTxn::scan(Table table, std::string_view prefix, const ScanFn& fn, std::string_view start) const {
  check_open(impl_.get());
  return detail::txn_scan(*impl_->env, impl_->txn, table, prefix, fn, start);
}

std::size_t ReadTxn::scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const {
  check_open(impl_.get());
  return detail::txn_scan_reverse(*impl_->env, impl_->txn, table, prefix, fn);
}

std::size_t ReadTxn::count(Table table) const {
  check_open(impl_.get());
  return detail::txn_count(*impl_->env, impl_->txn, table);
}

// ---- Store -------------------------------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  if (impl_ && impl_->env != nullptr) mdb_env_close(impl_->env);
}

const std::string& Store::directory() const { return impl_->dir; }

ReadTxn Store::read() const {
  auto txn = std::make_unique<ReadTxn::Impl>(*impl_);
  if (int rc = mdb_txn_begin(impl_->env, nullptr, MDB_RDONLY, &txn->txn); rc != 0) {
    txn->txn = nullptr;
    throw StoreError(mdb_error(impl_->dir + ": begin read transaction", rc));
  }
  return ReadTxn(std::move(txn));
}

Expected<std::unique_ptr<Store>, std::string> Store::open(const std::string& dir, const StoreOptions& options) {
  using Failure = Unexpected<std::string>;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Failure(dir + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) {
    return Failure(dir + ": " + (ec ? ec.message() : std::make_error_code(std::errc::not_a_directory).message()));
  }

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  auto fail = [&](std::string_view what, int rc) {
    std::string context = dir;
    if (!what.empty()) {
      context += ": ";
      context += what;
    }
    return Failure(mdb_error(context, rc));
  };

  if (int rc = mdb_env_create(&impl->env); rc != 0) {
    impl->env = nullptr;
    return fail("create environment", rc);
  }
  // From here on ~Store closes the environment on every way out.
  std::unique_ptr<Store> store(new Store(std::move(impl)));
  Env& env = *store->impl_;
  if (int rc = mdb_env_set_maxdbs(env.env, static_cast<MDB_dbi>(detail::kTableCount + 4)); rc != 0) {
    return fail("set max tables", rc);
  }
  if (options.map_size_bytes != 0) {
    if (int rc = mdb_env_set_mapsize(env.env, options.map_size_bytes); rc != 0) return fail("set map size", rc);
  }
  if (int rc = mdb_env_set_maxreaders(env.env, options.max_readers); rc != 0) return fail("set max readers", rc);
  // MDB_NOTLS: read transactions belong to the ReadTxn object, not to the thread that began them
  // (callers use thread pools and may move a ReadTxn). MDB_NOSYNC only when asked (benchmarks): it
  // breaks "acknowledged means durable" on a power loss or OS crash.
  unsigned flags = MDB_NOTLS;
  if (!options.sync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(env.env, dir.c_str(), flags, 0600); rc != 0) return fail({}, rc);

  // Free reader slots left by processes that died with a read transaction open (kill -9).
  int dead = 0;
  if (int rc = mdb_reader_check(env.env, &dead); rc != 0) return fail("check readers", rc);

  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env.env, nullptr, 0, &txn); rc != 0) return fail("begin write transaction", rc);
  for (std::size_t i = 0; i < detail::kTableCount; ++i) {
    std::string name(table_name(static_cast<Table>(i)));
    if (int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &env.dbi[i]); rc != 0) {
      mdb_txn_abort(txn);
      return fail("open table " + name, rc);
    }
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) return fail("commit the tables", rc);
  return store;
}

// ---- keys --------------------------------------------------------------------------------------------

std::string key(std::initializer_list<std::string_view> parts) {
  std::string out;
  std::size_t size = parts.size();
  for (auto p : parts) size += p.size();
  out.reserve(size);
  bool first = true;
  for (auto p : parts) {
    if (!first) out.push_back('\0');
    first = false;
    out.append(p);
  }
  return out;
}

std::string prefix(std::initializer_list<std::string_view> parts) {
  if (parts.size() == 0) return {};
  std::string out = key(parts);
  out.push_back('\0');
  return out;
}

void append_u64(std::string& key, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((v >> shift) & 0xFF));
}

std::uint64_t trailing_u64(std::string_view key) {
  if (key.size() < 8) return 0;
  std::uint64_t v = 0;
  for (char c : key.substr(key.size() - 8)) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace evbroker::storage
