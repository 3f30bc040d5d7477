#pragma once
// A committer for deterministic actor tests (NodeContext::committer): it queues each operation and
// runs it only when the test calls flush(), then calls its completion on the test's own thread. The
// node's GroupCommitter calls completions from its writer thread, which would post into actors from
// outside CAF's test coordinator; here every completion happens at a step the test chose, so a test
// can check what an actor did (or did not do) before its write was durable.
//
// The operations run on a real LMDB store (through a GroupCommitter, waiting for each), because the
// actors read what they wrote back through NodeContext::store.

#include <cstddef>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors::test {

class TestCommitter final : public storage::Committer {
 public:
  explicit TestCommitter(storage::Store& store) : store_(store), inner_(store) {}

  void submit(storage::WriteOp op, storage::Completion done) override {
    queue_.push_back(Item{std::move(op), std::move(done)});
    ++submitted_;
  }
  storage::CommitStats stats() const override {
    auto stats = inner_.stats();
    stats.queued = queue_.size();
    return stats;
  }

  /// The next operation to run fails with `error` instead (a full disk, a failed commit): its
  /// changes are not made and its completion gets the error.
  void fail_next(std::string error) { failures_.push_back(std::move(error)); }

  /// Operations submitted and not yet run.
  std::size_t pending() const { return queue_.size(); }
  /// Operations submitted so far, run or not.
  std::size_t submitted() const { return submitted_; }

  /// Runs every queued operation in submission order, each in its own commit, and calls each one's
  /// completion right after it (operations submitted by a completion run too). Returns how many ran.
  std::size_t flush() {
    std::size_t ran = 0;
    while (!queue_.empty()) {
      auto item = std::move(queue_.front());
      queue_.pop_front();
      std::string outcome;
      if (!failures_.empty()) {
        outcome = std::move(failures_.front());
        failures_.pop_front();
      } else {
        auto result = std::make_shared<std::promise<std::string>>();
        auto error = result->get_future();
        inner_.submit(std::move(item.op), [result](const std::string& e) { result->set_value(e); });
        outcome = error.get();
      }
      if (item.done) item.done(outcome);
      ++ran;
    }
    return ran;
  }

  storage::Store& store() const { return store_; }

 private:
  struct Item {
    storage::WriteOp op;
    storage::Completion done;
  };
  storage::Store& store_;
  storage::GroupCommitter inner_;
  std::deque<Item> queue_;
  std::deque<std::string> failures_;
  std::size_t submitted_ = 0;
};

}  // namespace evbroker::actors::test
