// The LMDB environment, read transactions, the operations' write transactions and the key helpers.

#include "storage/lmdb_store.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
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

std::string_view to_view(const MDB_val& v) noexcept { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

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
    if (int rc = mdb_cursor_open(txn, env.table(table), &cursor_); rc != 0)
      detail::throw_mdb("open cursor on", table, rc);
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

/// Counters (and the store format marker) are 8 bytes little endian.
std::string encode_le64(std::uint64_t v) {
  std::string bytes(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return bytes;
}

std::uint64_t decode_le64(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

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
static std::size_t walk_prefix(Cursor& cursor, Table table, std::string_view prefix, const ScanFn& fn, int rc,
                               MDB_val& k, MDB_val& v, MDB_cursor_op step, const char* what) {
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
    value = decode_le64(*stored);
  }
  ++value;
  put(Table::counters, counter, encode_le64(value));
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
  if (!impl_) return;
  if (impl_->env != nullptr) mdb_env_close(impl_->env);
  // The lock goes last: until the environment is closed, no other process may open the store.
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
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

namespace {

// What Store::open finds wrong, as the whole message; nullopt: nothing, go on.
using Problem = std::optional<std::string>;

constexpr const char* kLockFile = "evbroker.lock";
constexpr const char* kDataFile = "data.mdb";

/// A file-system error on the data directory, with what the operator can do about the common ones
/// (the bare errno text leaves them guessing which user, which path, what next).
std::string directory_problem(const std::string& dir, int err) {
  std::string s = dir + ": " + std::strerror(err);
  switch (err) {
    case EACCES:
    case EPERM:
      return s +
             ": the user running evbroker must be able to create and write files in the data directory; "
             "fix its owner or mode, or give this node another --data-dir";
    case EROFS:
      return s + ": the data directory must be writable; remount it read-write, or give this node another --data-dir";
    case ENOTDIR:
      return s + ": the path must name a directory, or one that can be created; give this node another --data-dir";
    default: return s;
  }
}

/// Creates the directory when missing and checks that it is one.
Problem prepare_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return directory_problem(dir, ec.value());
  if (!std::filesystem::is_directory(dir, ec)) return directory_problem(dir, ec ? ec.value() : ENOTDIR);
  return std::nullopt;
}

/// The PID the lock's holder wrote into the lock file; 0 when none can be read (the holder has not
/// written it yet, or the file holds something else).
long holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  long pid = 0;
  auto [end, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc{} || pid <= 0 || (end != buf + n && *end != '\n')) return 0;
  return pid;
}

std::string in_use_problem(const std::string& dir, long pid) {
  if (pid == static_cast<long>(::getpid())) {
    return dir + " is already open in this process (PID " + std::to_string(pid) +
           "): a data directory can be opened once at a time";
  }
  std::string holder = pid > 0 ? "PID " + std::to_string(pid) : std::string("PID unknown");
  return dir + " is in use by another evbroker process (" + holder + "): stop it, or give this node another --data-dir";
}

/// Replaces the lock file's content with our PID, for the message of whoever finds it locked.
Problem write_pid(const std::string& dir, int fd) {
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return dir + "/" + kLockFile + ": cannot write our PID: " + std::strerror(errno);
  }
  return std::nullopt;
}

/// Two nodes on one data directory would both accept the same station and both write the store:
/// take an exclusive flock on <dir>/evbroker.lock, kept (in `fd`) for the Store's lifetime. A flock
/// belongs to the open file description, so a second open in this process is refused too (LMDB
/// forbids that anyway: its own fcntl locks break when one of two handles closes), and it is released
/// by the kernel when the process dies, kill -9 included: a stale lock file blocks nobody.
Problem lock_directory(const std::string& dir, int& fd) {
  std::string path = dir + "/" + kLockFile;
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return directory_problem(dir, errno);
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno == EWOULDBLOCK) return in_use_problem(dir, holder_pid(fd));
  if (rc != 0) return path + ": cannot lock: " + std::strerror(errno);
  return write_pid(dir, fd);
}

/// LMDB takes a 0-byte data.mdb for a new environment and starts an empty store on it: a store that
/// lost its content would silently come up empty. Refuse it (a data.mdb LMDB creates itself has its
/// two meta pages written before the environment is used).
Problem check_not_empty(const std::string& dir) {
  std::string path = dir + "/" + kDataFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? Problem{} : directory_problem(path, errno);
  if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return path +
           " is empty (0 bytes): the store is damaged or was truncated; restore it from a backup, "
           "or remove the directory to start an empty store";
  }
  return std::nullopt;
}

/// mdb_env_open's failure, explained where LMDB's text alone does not tell what to do.
std::string env_open_problem(const std::string& dir, int rc) {
  std::string path = dir + "/" + kDataFile;
  switch (rc) {
    case EACCES:
    case EPERM:
    case EROFS: return directory_problem(dir, rc);
    case MDB_INVALID:
      return path + " is not an LMDB store (" + mdb_strerror(rc) +
             "): it is damaged, or not evbroker's; restore it from a backup, or remove the directory to start an "
             "empty store";
    case MDB_VERSION_MISMATCH:
      return path + " was written by an incompatible LMDB version (" + mdb_strerror(rc) +
             "), or another program of that version holds lock.mdb; open it with the evbroker that wrote it "
             "(or export it with that version's mdb_dump), or restore a backup";
    default: return mdb_error(dir, rc);
  }
}

/// Sets the environment up and opens it (this maps the file but touches only its two meta pages).
Problem open_environment(Env& env) {
  auto fail = [&](std::string_view what, int rc) { return mdb_error(env.dir + ": " + std::string(what), rc); };
  if (int rc = mdb_env_create(&env.env); rc != 0) {
    env.env = nullptr;
    return fail("create environment", rc);
  }
  if (int rc = mdb_env_set_maxdbs(env.env, static_cast<MDB_dbi>(detail::kTableCount + 4)); rc != 0) {
    return fail("set max tables", rc);
  }
  if (env.options.map_size_bytes != 0) {
    if (int rc = mdb_env_set_mapsize(env.env, env.options.map_size_bytes); rc != 0) return fail("set map size", rc);
  }
  if (int rc = mdb_env_set_maxreaders(env.env, env.options.max_readers); rc != 0) return fail("set max readers", rc);
  // MDB_NOTLS: read transactions belong to the ReadTxn object, not to the thread that began them
  // (callers use thread pools and may move a ReadTxn). MDB_NOSYNC only when asked (benchmarks): it
  // breaks "acknowledged means durable" on a power loss or OS crash.
  unsigned flags = MDB_NOTLS;
  if (!env.options.sync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(env.env, env.dir.c_str(), flags, 0600); rc != 0) return env_open_problem(env.dir, rc);
  return std::nullopt;
}

/// A data.mdb cut short (a failed copy, a full disk during a restore) opens fine, then the first
/// read of a page past its end kills the process with SIGBUS. Every page up to the last one the
/// meta page counts as used must be in the file. Runs before any transaction: mdb_env_info and
/// mdb_env_stat read only the meta pages, which mdb_env_open has already read and checked.
Problem check_size(const Env& env) {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_filehandle_t fd{};
  struct stat st {};
  if (int rc = mdb_env_info(env.env, &info); rc != 0) return mdb_error(env.dir + ": environment info", rc);
  if (int rc = mdb_env_stat(env.env, &stat); rc != 0) return mdb_error(env.dir + ": environment stat", rc);
  if (int rc = mdb_env_get_fd(env.env, &fd); rc != 0) return mdb_error(env.dir + ": data file", rc);
  std::string path = env.dir + "/" + kDataFile;
  if (::fstat(fd, &st) != 0) return path + ": " + std::strerror(errno);
  const std::uint64_t pages = static_cast<std::uint64_t>(info.me_last_pgno) + 1;
  const std::uint64_t needed = pages * stat.ms_psize;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size >= needed) return std::nullopt;
  return path + " is truncated: it has " + std::to_string(size) + " bytes, the store uses " + std::to_string(needed) +
         " (" + std::to_string(pages) + " pages of " + std::to_string(stat.ms_psize) +
         " bytes); the store is damaged: restore it from a backup";
}

/// Opens (creating) every table in one write transaction.
Problem open_tables(Env& env) {
  auto fail = [&](const std::string& what, int rc) { return mdb_error(env.dir + ": " + what, rc); };
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
  return std::nullopt;
}

}  // namespace

Expected<std::unique_ptr<Store>, std::string> Store::open(const std::string& dir, const StoreOptions& options) {
  using Failure = Unexpected<std::string>;
  if (auto problem = prepare_directory(dir)) return Failure(std::move(*problem));

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  // From here on ~Store releases the lock and closes the environment on every way out.
  std::unique_ptr<Store> store(new Store(std::move(impl)));
  Env& env = *store->impl_;
  // The lock comes first: the checks below must not race with another node creating the store.
  if (auto problem = lock_directory(dir, env.lock_fd)) return Failure(std::move(*problem));
  if (auto problem = check_not_empty(dir)) return Failure(std::move(*problem));
  if (auto problem = open_environment(env)) return Failure(std::move(*problem));
  if (auto problem = check_size(env)) return Failure(std::move(*problem));
  // Free reader slots left by processes that died with a read transaction open (kill -9). This
  // works on lock.mdb only, never on the data file's pages.
  int dead = 0;
  if (int rc = mdb_reader_check(env.env, &dead); rc != 0) return Failure(mdb_error(dir + ": check readers", rc));
  if (auto problem = open_tables(env)) return Failure(std::move(*problem));
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
  return read_u64(key.substr(key.size() - 8));
}

std::uint64_t read_u64(std::string_view bytes) {
  if (bytes.size() < 8) return 0;
  std::uint64_t v = 0;
  for (char c : bytes.substr(0, 8)) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

namespace {
// Flipping the sign bit maps INT64_MIN..INT64_MAX onto 0..UINT64_MAX in order (two's complement),
// so the unsigned big-endian bytes sort like the signed values.
constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
}  // namespace

void append_i64(std::string& key, std::int64_t v) { append_u64(key, static_cast<std::uint64_t>(v) ^ kSignBit); }

std::int64_t read_i64(std::string_view bytes) {
  if (bytes.size() < 8) return 0;
  return static_cast<std::int64_t>(read_u64(bytes) ^ kSignBit);
}

std::int64_t trailing_i64(std::string_view key) {
  if (key.size() < 8) return 0;
  return read_i64(key.substr(key.size() - 8));
}

// ---- the store format marker -------------------------------------------------------------------------

std::uint64_t stored_format(const Reader& reader) {
  auto stored = reader.get(Table::counters, kStoreFormatKey);
  if (!stored) return 0;
  if (stored->size() != 8) {
    throw StoreError("the store format marker ('" + std::string(kStoreFormatKey) + "' in table counters) holds " +
                     std::to_string(stored->size()) + " bytes, not 8");
  }
  return decode_le64(*stored);
}

void set_stored_format(WriteTxn& txn, std::uint64_t format) {
  txn.put(Table::counters, kStoreFormatKey, encode_le64(format));
}

}  // namespace evbroker::storage
