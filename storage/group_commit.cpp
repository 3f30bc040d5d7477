// The writer thread: batches queued operations into one LMDB write transaction, each operation in a
// nested transaction, one commit per batch, then the completions.

#include "storage/group_commit.hpp"

#include <lmdb.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "storage/lmdb_env.hpp"

namespace evbroker::storage {

namespace {

using Clock = std::chrono::steady_clock;

/// The map never grows past this (virtual address space; far beyond any real deployment).
constexpr std::size_t kMaxMapSize = std::size_t{1} << 40;

std::string mdb_error(std::string_view context, int rc) {
  std::string s(context);
  s += ": ";
  s += mdb_strerror(rc);
  return s;
}

void complete(const Completion& done, const std::string& error) noexcept {
  if (!done) return;
  try {
    done(error);
  } catch (...) {
    // A completion's failure is its own business; the writer thread carries on.
  }
}

/// Aborts a transaction on every way out unless released (after a commit, which frees it).
class TxnGuard {
 public:
  explicit TxnGuard(MDB_txn* txn) noexcept : txn_(txn) {}
  ~TxnGuard() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;
  MDB_txn* release() noexcept { return std::exchange(txn_, nullptr); }

 private:
  MDB_txn* txn_;
};

}  // namespace

struct GroupCommitter::Impl {
  struct Item {
    WriteOp op;
    Completion done;
  };
  enum class Outcome { committed, map_full, failed };

  detail::Env& env;
  GroupCommitOptions options;

  mutable std::mutex mu;  // guards queue and stopping
  std::condition_variable wake;
  std::deque<Item> queue;
  bool stopping = false;

  mutable std::mutex stats_mu;
  CommitStats totals;

  std::mutex join_mu;
  std::thread thread;
  std::thread::id writer_id;

  Impl(detail::Env& e, GroupCommitOptions o) : env(e), options(o) {
    if (options.max_batch == 0) options.max_batch = 1;
    thread = std::thread([this] { run(); });
    writer_id = thread.get_id();
  }

  void run() {
    std::vector<Item> batch;
    for (;;) {
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [this] { return !queue.empty() || stopping; });
        if (queue.empty()) return;  // stopping, and everything submitted before is done
        std::size_t n = std::min(queue.size(), options.max_batch);
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      process(batch);
      batch.clear();  // destroys the operations and completions here, on the writer thread
    }
  }

  void process(std::vector<Item>& batch) {
    std::vector<std::string> errors(batch.size());
    std::string batch_error;
    std::uint64_t micros = 0;
    Outcome outcome = Outcome::failed;
    for (;;) {
      try {
        outcome = attempt(batch, errors, batch_error, micros);
      } catch (const std::exception& e) {
        outcome = Outcome::failed;
        batch_error = e.what();
      } catch (...) {
        outcome = Outcome::failed;
        batch_error = "unknown exception in the writer thread";
      }
      if (outcome != Outcome::map_full) break;
      // The map is full. Nothing of the batch was committed and no write transaction is open:
      // double the map and run the whole batch again.
      std::size_t current = env.map_size();
      if (current >= kMaxMapSize / 2) {
        batch_error = env.dir + ": map full at " + std::to_string(current) + " bytes";
        outcome = Outcome::failed;
        break;
      }
      if (int rc = env.resize(current * 2); rc != 0) {
        batch_error = mdb_error(env.dir + ": grow map to " + std::to_string(current * 2) + " bytes", rc);
        outcome = Outcome::failed;
        break;
      }
    }
    if (outcome == Outcome::failed && batch_error.empty()) batch_error = "commit failed";

    std::uint64_t failed = 0;
    for (const auto& e : errors) failed += outcome == Outcome::failed || !e.empty();
    {
      std::lock_guard lock(stats_mu);
      if (outcome == Outcome::committed) {
        ++totals.commits;
        totals.operations += batch.size();
        totals.commit_micros += micros;
        totals.max_batch = std::max<std::uint64_t>(totals.max_batch, batch.size());
        std::size_t bucket = 0;
        while (bucket < std::size(CommitStats::kBucketsMicros) && micros > CommitStats::kBucketsMicros[bucket])
          ++bucket;
        ++totals.buckets[bucket];
      }
      totals.failed_operations += failed;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      complete(batch[i].done, outcome == Outcome::committed ? errors[i] : batch_error);
    }
  }

  /// One try at the batch: every operation in its own nested transaction, one commit.
  Outcome attempt(std::vector<Item>& batch, std::vector<std::string>& errors, std::string& batch_error,
                  std::uint64_t& micros) {
    MDB_txn* parent = nullptr;
    if (int rc = mdb_txn_begin(env.env, nullptr, 0, &parent); rc != 0) {
      batch_error = mdb_error(env.dir + ": begin write transaction", rc);
      return rc == MDB_MAP_FULL ? Outcome::map_full : Outcome::failed;
    }
    TxnGuard guard(parent);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      errors[i].clear();
      MDB_txn* child = nullptr;
      if (int rc = mdb_txn_begin(env.env, parent, 0, &child); rc != 0) {
        if (rc == MDB_MAP_FULL) return Outcome::map_full;
        errors[i] = mdb_error("begin nested transaction", rc);
        continue;
      }
      TxnGuard child_guard(child);
      detail::LmdbWriteTxn txn(env, child);
      std::string error;
      bool threw = false;
      try {
        batch[i].op(txn);
      } catch (const std::exception& e) {
        threw = true;
        error = e.what();
      } catch (...) {
        threw = true;
        error = "operation threw an unknown exception";
      }
      // A full map fails the batch even when the operation caught the error itself.
      if (txn.map_full()) return Outcome::map_full;
      if (threw) {
        errors[i] = error.empty() ? "operation failed" : std::move(error);
        continue;  // child_guard aborts: the operation's changes are undone, the others stay
      }
      int rc = mdb_txn_commit(child_guard.release());
      if (rc == MDB_MAP_FULL) return Outcome::map_full;
      if (rc != 0) errors[i] = mdb_error("commit nested transaction", rc);
    }
    auto t0 = Clock::now();
    int rc = mdb_txn_commit(guard.release());  // frees the transaction, committed or not
    micros =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
    if (rc == MDB_MAP_FULL) return Outcome::map_full;
    if (rc != 0) {
      batch_error = mdb_error(env.dir + ": commit", rc);
      return Outcome::failed;
    }
    return Outcome::committed;
  }

  void submit(WriteOp op, Completion done) {
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        queue.push_back(Item{std::move(op), std::move(done)});
        // Notify under the lock: stop() + join cannot slip in between and leave this item unseen.
        wake.notify_one();
        return;
      }
    }
    {
      std::lock_guard lock(stats_mu);
      ++totals.failed_operations;
    }
    complete(done, "store is stopped");
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    wake.notify_all();
    // From a completion (on the writer thread): the thread ends once the queue is drained; the
    // destructor joins it.
    if (std::this_thread::get_id() == writer_id) return;
    std::lock_guard lock(join_mu);
    if (thread.joinable()) thread.join();
  }

  CommitStats stats() const {
    CommitStats s;
    {
      std::lock_guard lock(stats_mu);
      s = totals;
    }
    std::lock_guard lock(mu);
    s.queued = queue.size();
    return s;
  }
};

GroupCommitter::GroupCommitter(Store& store, GroupCommitOptions options)
    : impl_(std::make_unique<Impl>(*store.impl_, options)) {}

GroupCommitter::~GroupCommitter() { impl_->stop(); }

void GroupCommitter::submit(WriteOp op, Completion done) { impl_->submit(std::move(op), std::move(done)); }

void GroupCommitter::stop() { impl_->stop(); }

CommitStats GroupCommitter::stats() const { return impl_->stats(); }

}  // namespace evbroker::storage
