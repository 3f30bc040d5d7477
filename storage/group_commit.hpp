#pragma once
// Group commit: the store's single writer thread. Concurrent writers submit operations; the
// thread runs every operation queued so far inside one LMDB write transaction (each in its own
// nested transaction, so one failing operation undoes only itself), commits once (fsync), and
// only then calls each operation's completion. "Acknowledged means durable": callers answer a
// station from the completion, never before.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>

#include "storage/lmdb_store.hpp"

namespace evbroker::storage {

/// Runs inside the write transaction, on the writer thread. Must not block on anything but the
/// store. Throw to fail (its own changes are undone, the rest of the batch still commits).
/// May run more than once: when the map is full the whole batch is undone, the map doubled and the
/// batch run again. Keep side effects out of the operation (or let a rerun overwrite them) and act
/// in the completion, which runs exactly once.
using WriteOp = std::function<void(WriteTxn&)>;
/// Runs on the writer thread after the commit: `error` empty means committed and durable;
/// otherwise why the operation (or the whole commit) failed. Must be quick (e.g. send a message).
using Completion = std::function<void(const std::string& error)>;

struct GroupCommitOptions {
  std::size_t max_batch = 4096;  // operations per commit at most
};

/// Figures for /metrics. Counters only grow.
struct CommitStats {
  std::uint64_t commits = 0;            // LMDB commits made
  std::uint64_t operations = 0;         // operations committed (sum of batch sizes, failed ones included)
  std::uint64_t failed_operations = 0;  // completions called with an error (incl. after stop())
  std::uint64_t commit_micros = 0;      // total time spent in mdb_txn_commit (fsync included)
  std::uint64_t max_batch = 0;          // largest batch seen
  std::uint64_t queued = 0;             // operations waiting right now
  /// Commit latency histogram: counts of commits taking <= kBucketsMicros[i].
  static constexpr std::uint64_t kBucketsMicros[] = {100,   250,   500,   1000,   2500,   5000,
                                                     10000, 25000, 50000, 100000, 250000, 1000000};
  std::uint64_t buckets[std::size(kBucketsMicros) + 1] = {};  // last: +Inf
};

/// Where the node's actors send their writes (NodeContext::committer): the GroupCommitter in a
/// node; in deterministic actor tests, a committer that runs each operation when the test says so
/// and calls its completion on the test's thread (tests/actors/test_committer.hpp), so that no
/// completion posts into an actor from outside CAF's test scheduler. One virtual call per write.
class Committer {
 public:
  virtual ~Committer() = default;
  /// Runs `op` in a write transaction, then calls `done` once (see WriteOp and Completion).
  virtual void submit(WriteOp op, Completion done) = 0;
  virtual CommitStats stats() const = 0;
};

/// Destroy (or stop) it before the Store. Completions may call stop() and submit(), not the
/// destructor.
class GroupCommitter final : public Committer {
 public:
  GroupCommitter(Store& store, GroupCommitOptions options = {});
  /// Stops after committing everything submitted before (same as stop()).
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  /// Thread-safe. After stop(), the completion is called at once with an error.
  void submit(WriteOp op, Completion done) override;
  /// Commits everything submitted so far, then joins the writer thread. Idempotent.
  void stop();
  CommitStats stats() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace evbroker::storage
