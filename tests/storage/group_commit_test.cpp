// Group commit: batching, per-operation rollback, counters, stop, map growth.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

using namespace evbroker::storage;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

namespace {

/// Counts completions down to zero.
class Latch {
 public:
  explicit Latch(std::size_t n) : remaining_(n) {}
  void count_down() {
    std::lock_guard lock(mu_);
    if (--remaining_ == 0) cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return remaining_ == 0; });
  }
  std::size_t remaining() {
    std::lock_guard lock(mu_);
    return remaining_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t remaining_;
};

/// An operation that holds the writer thread until released, so that whatever is submitted
/// meanwhile lands in the next batch together.
class WriterGate {
 public:
  WriteOp op() {
    return [this](WriteTxn&) {
      std::unique_lock lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    };
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

std::uint64_t bucket_total(const CommitStats& s) {
  return std::accumulate(std::begin(s.buckets), std::end(s.buckets), std::uint64_t{0});
}

}  // namespace

TEST_CASE("concurrent writers: every completion is called once, after its data is readable", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  constexpr int kTotal = kThreads * kPerThread;
  std::vector<std::atomic<int>> calls(kTotal);
  std::atomic<int> errors{0}, unreadable{0};

  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int id = t * kPerThread + i;
        std::string key = "CS" + std::to_string(t) + "/" + std::to_string(i);
        Latch done(1);
        committer.submit([key](WriteTxn& txn) { txn.put(Table::events, key, key); },
                         [&, id, key](const std::string& error) {
                           if (!error.empty()) ++errors;
                           if (store->read().get(Table::events, key) != key) ++unreadable;
                           ++calls[static_cast<std::size_t>(id)];
                           done.count_down();
                         });
        done.wait();  // closed loop, like a station waiting for its CALLRESULT
      }
    });
  }
  for (auto& w : writers) w.join();

  CHECK(errors == 0);
  CHECK(unreadable == 0);
  CHECK(std::all_of(calls.begin(), calls.end(), [](const auto& c) { return c == 1; }));
  CHECK(store->read().count(Table::events) == kTotal);
  auto stats = committer.stats();
  CHECK(stats.operations == kTotal);
  CHECK(stats.failed_operations == 0);
  CHECK(stats.commits >= 1);
  CHECK(stats.commits <= stats.operations);
  CHECK(bucket_total(stats) == stats.commits);
  CHECK(stats.queued == 0);
}

TEST_CASE("a burst from several threads is committed in fewer commits than operations", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  Latch done(kThreads * kPerThread);
  std::atomic<int> errors{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = prefix({"CS" + std::to_string(t)});
        append_u64(key, static_cast<std::uint64_t>(i));
        committer.submit([key](WriteTxn& txn) { txn.put(Table::meter_values, key, std::string(200, 'v')); },
                         [&](const std::string& error) {
                           if (!error.empty()) ++errors;
                           done.count_down();
                         });
      }
    });
  }
  for (auto& w : writers) w.join();
  done.wait();
  auto stats = committer.stats();
  INFO("commits " << stats.commits << ", operations " << stats.operations << ", max batch " << stats.max_batch);
  CHECK(errors == 0);
  CHECK(stats.operations == kThreads * kPerThread);
  CHECK(stats.commits < stats.operations);
  CHECK(stats.max_batch > 1);
  CHECK(bucket_total(stats) == stats.commits);
  CHECK(store->read().count(Table::meter_values) == kThreads * kPerThread);
}

TEST_CASE("max_batch caps the operations per commit", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store, GroupCommitOptions{.max_batch = 3});
  WriterGate gate;
  committer.submit(gate.op(), {});
  gate.wait_entered();
  Latch done(10);
  for (int i = 0; i < 10; ++i) {
    committer.submit([i](WriteTxn& txn) { txn.put(Table::tokens, "T" + std::to_string(i), "x"); },
                     [&](const std::string&) { done.count_down(); });
  }
  CHECK(committer.stats().queued == 10);
  gate.release();
  done.wait();
  auto stats = committer.stats();
  CHECK(stats.max_batch == 3);
  CHECK(stats.commits == 1 + 4);  // the gate, then 3 + 3 + 3 + 1
  CHECK(store->read().count(Table::tokens) == 10);
}

TEST_CASE("a throwing operation undoes only its own writes, the rest of its batch commits", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "CS-B", "original"); }) == "");

  WriterGate gate;
  committer.submit(gate.op(), {});
  gate.wait_entered();
  auto before = committer.stats();

  std::vector<std::string> errors(4, "not called");
  Latch done(4);
  auto record = [&](std::size_t i) {
    return [&, i](const std::string& error) {
      errors[i] = error;
      done.count_down();
    };
  };
  committer.submit([](WriteTxn& txn) { txn.put(Table::stations, "CS-A", "a"); }, record(0));
  committer.submit(
      [](WriteTxn& txn) {
        txn.put(Table::stations, "CS-B", "changed");
        txn.put(Table::stations, "CS-B2", "b2");
        txn.del(Table::stations, "CS-A");  // sees the earlier operation's write in the same batch
        throw StoreError("station CS-B is not registered");
      },
      record(1));
  committer.submit(
      [](WriteTxn& txn) {
        CHECK(txn.get(Table::stations, "CS-A") == "a");  // the failed operation's delete was undone
        CHECK(txn.get(Table::stations, "CS-B") == "original");
        txn.put(Table::stations, "CS-C", "c");
        throw 42;  // not a std::exception
      },
      record(2));
  committer.submit([](WriteTxn& txn) { txn.put(Table::stations, "CS-D", "d"); }, record(3));
  gate.release();
  done.wait();

  CHECK(errors[0] == "");
  CHECK(errors[1] == "station CS-B is not registered");
  CHECK(errors[2] == "operation threw an unknown exception");
  CHECK(errors[3] == "");
  auto txn = store->read();
  CHECK(txn.get(Table::stations, "CS-A") == "a");
  CHECK(txn.get(Table::stations, "CS-B") == "original");
  CHECK_FALSE(txn.get(Table::stations, "CS-B2").has_value());
  CHECK_FALSE(txn.get(Table::stations, "CS-C").has_value());
  CHECK(txn.get(Table::stations, "CS-D") == "d");

  auto after = committer.stats();
  CHECK(after.commits - before.commits == 2);  // the gate's batch and the four together
  CHECK(after.max_batch >= 4);
  CHECK(after.failed_operations - before.failed_operations == 2);
}

TEST_CASE("an empty operation fails alone", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  CHECK_FALSE(commit(committer, WriteOp{}).empty());
  CHECK(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "CS1", "x"); }) == "");
}

TEST_CASE("counters are unique and gapless across threads", "[group_commit][counters]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::mutex mu;
  std::vector<std::uint64_t> seen;
  std::atomic<int> errors{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        // The operation may run again if the map grows: it keeps only its last result.
        auto value = std::make_shared<std::uint64_t>(0);
        std::string error = commit(committer, [value](WriteTxn& txn) {
          *value = txn.next("transaction_id");
          txn.next("other");
        });
        if (!error.empty()) ++errors;
        std::lock_guard lock(mu);
        seen.push_back(*value);
      }
    });
  }
  for (auto& w : writers) w.join();
  CHECK(errors == 0);
  std::sort(seen.begin(), seen.end());
  std::vector<std::uint64_t> expected(kThreads * kPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  CHECK(seen == expected);

  SECTION("a failed operation's increment is rolled back") {
    WriterGate gate;
    committer.submit(gate.op(), {});
    gate.wait_entered();
    std::uint64_t a = 0, b = 0, c = 0;
    std::string error_b;
    Latch done(3);
    committer.submit([&](WriteTxn& txn) { a = txn.next("transaction_id"); },
                     [&](const std::string&) { done.count_down(); });
    committer.submit(
        [&](WriteTxn& txn) {
          b = txn.next("transaction_id");
          throw std::runtime_error("rejected");
        },
        [&](const std::string& error) {
          error_b = error;
          done.count_down();
        });
    committer.submit([&](WriteTxn& txn) { c = txn.next("transaction_id"); },
                     [&](const std::string&) { done.count_down(); });
    gate.release();
    done.wait();
    constexpr std::uint64_t n = kThreads * kPerThread;
    CHECK(a == n + 1);
    CHECK(b == n + 2);  // seen inside the operation, then undone
    CHECK(error_b == "rejected");
    CHECK(c == n + 2);
    auto stored = store->read().get(Table::counters, "transaction_id");
    REQUIRE(stored.has_value());
    REQUIRE(stored->size() == 8);
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
      value = (value << 8) | static_cast<unsigned char>((*stored)[static_cast<std::size_t>(i)]);
    CHECK(value == n + 2);
  }
  SECTION("a counter that does not hold 8 bytes fails the operation") {
    REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::counters, "broken", "abc"); }) == "");
    CHECK_THAT(commit(committer, [](WriteTxn& txn) { txn.next("broken"); }), Catch::Contains("broken"));
  }
}

TEST_CASE("stop commits everything submitted before, then refuses new work", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  constexpr int kOps = 1000;
  std::atomic<int> called{0}, errors{0};
  for (int i = 0; i < kOps; ++i) {
    committer.submit([i](WriteTxn& txn) { txn.put(Table::tokens, "T" + std::to_string(i), "x"); },
                     [&](const std::string& error) {
                       if (!error.empty()) ++errors;
                       ++called;
                     });
  }
  committer.stop();
  CHECK(called == kOps);  // no waiting: stop() returned after the last completion
  CHECK(errors == 0);
  CHECK(store->read().count(Table::tokens) == kOps);
  CHECK(committer.stats().operations == kOps);

  std::string late = "not called";
  committer.submit([](WriteTxn& txn) { txn.put(Table::tokens, "late", "x"); },
                   [&](const std::string& error) { late = error; });
  CHECK(late == "store is stopped");  // called at once, on the submitting thread
  CHECK_FALSE(store->read().get(Table::tokens, "late").has_value());
  committer.stop();  // idempotent
  CHECK(committer.stats().failed_operations == 1);
}

TEST_CASE("the destructor commits what was submitted", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  std::atomic<int> called{0};
  {
    GroupCommitter committer(*store);
    for (int i = 0; i < 100; ++i) {
      committer.submit([i](WriteTxn& txn) { txn.put(Table::tokens, "T" + std::to_string(i), "x"); },
                       [&](const std::string& error) { called += error.empty(); });
    }
  }
  CHECK(called == 100);
  CHECK(store->read().count(Table::tokens) == 100);
}

TEST_CASE("stop() from a completion does not deadlock", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  std::string first = "not called";
  REQUIRE(commit(committer, [](WriteTxn& txn) { txn.put(Table::tokens, "T", "x"); }) == "");
  Latch done(1);
  committer.submit([](WriteTxn& txn) { txn.put(Table::tokens, "U", "x"); },
                   [&](const std::string& error) {
                     first = error;
                     committer.stop();
                     done.count_down();
                   });
  done.wait();
  CHECK(first == "");
  std::string late;
  committer.submit([](WriteTxn&) {}, [&](const std::string& error) { late = error; });
  CHECK(late == "store is stopped");
  committer.stop();  // joins the writer thread
}

TEST_CASE("a throwing completion does not stop the writer thread", "[group_commit]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  GroupCommitter committer(*store);
  Latch done(2);
  committer.submit([](WriteTxn& txn) { txn.put(Table::tokens, "A", "x"); },
                   [&](const std::string&) {
                     done.count_down();
                     throw std::runtime_error("completion failed");
                   });
  committer.submit([](WriteTxn& txn) { txn.put(Table::tokens, "B", "x"); },
                   [&](const std::string&) {
                     done.count_down();
                     throw 7;
                   });
  done.wait();
  CHECK(commit(committer, [](WriteTxn& txn) { txn.put(Table::tokens, "C", "x"); }) == "");
  CHECK(store->read().count(Table::tokens) == 3);
}

TEST_CASE("a full map grows: 20 MiB into a 1 MiB map, readers running throughout", "[group_commit][map]") {
  TempDir tmp;
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 512;
  constexpr std::size_t kValueBytes = 10 * 1024;  // 4 * 512 * 10 KiB = 20 MiB
  // Value of writer t's i-th key (id t * 100000 + i): the id, then a letter that depends on it.
  auto fill_for = [](std::uint64_t id) { return static_cast<char>('a' + id % 26); };
  auto value_for = [&](int t, int i) {
    auto id = static_cast<std::uint64_t>(t * 100000 + i);
    std::string v(kValueBytes, fill_for(id));
    std::string head = std::to_string(id) + ":";
    v.replace(0, head.size(), head);
    return v;
  };
  auto value_matches = [&](std::uint64_t id, std::string_view v) {  // no allocation: readers run hot
    std::string_view rest = v;
    char head[24];
    int n = std::snprintf(head, sizeof head, "%llu:", static_cast<unsigned long long>(id));
    if (v.size() != kValueBytes || !v.starts_with(std::string_view(head, static_cast<std::size_t>(n)))) return false;
    rest.remove_prefix(static_cast<std::size_t>(n));
    return rest.find_first_not_of(fill_for(id)) == std::string_view::npos;
  };
  {
    auto store = open_store(tmp.path(), StoreOptions{.map_size_bytes = kMiB});
    GroupCommitter committer(*store);

    std::atomic<bool> writing{true};
    std::atomic<int> bad_reads{0}, reads{0};
    std::thread reader([&] {
      while (writing) {
        auto txn = store->read();
        txn.scan(Table::meter_values, "", [&](std::string_view k, std::string_view v) {
          if (!value_matches(trailing_u64(k), v)) ++bad_reads;
          ++reads;
          return reads % 50 != 0;  // short read transactions, many of them
        });
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });

    Latch done(kThreads * kPerThread);
    std::atomic<int> errors{0};
    std::string first_error;
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string key = prefix({"CS" + std::to_string(t)});
          append_u64(key, static_cast<std::uint64_t>(t * 100000 + i));
          committer.submit([key, v = value_for(t, i)](WriteTxn& txn) { txn.put(Table::meter_values, key, v); },
                           [&](const std::string& error) {
                             if (!error.empty()) {
                               std::lock_guard lock(mu);
                               if (errors++ == 0) first_error = error;
                             }
                             done.count_down();
                           });
        }
      });
    }
    for (auto& w : writers) w.join();
    done.wait();
    writing = false;
    reader.join();
    INFO("first error: " << first_error);
    CHECK(errors == 0);
    CHECK(bad_reads == 0);
    CHECK(reads > 0);
    CHECK(store->read().count(Table::meter_values) == kThreads * kPerThread);
  }
  // Reopened with the same small setting: the data is all there and the map is big enough for it.
  auto store = open_store(tmp.path(), StoreOptions{.map_size_bytes = kMiB});
  auto txn = store->read();
  CHECK(txn.count(Table::meter_values) == kThreads * kPerThread);
  std::size_t checked = 0;
  txn.scan(Table::meter_values, "", [&](std::string_view k, std::string_view v) {
    checked += value_matches(trailing_u64(k), v);
    return true;
  });
  CHECK(checked == kThreads * kPerThread);
}

TEST_CASE("an operation that swallows the map-full error is run again in a larger map", "[group_commit][map]") {
  TempDir tmp;
  auto store = open_store(tmp.path(), StoreOptions{.map_size_bytes = std::size_t{1} << 20});
  GroupCommitter committer(*store);
  int runs = 0;
  bool caught = false;
  std::string big(4 << 20, 'x');
  std::string error = commit(committer, [&](WriteTxn& txn) {
    ++runs;
    try {
      txn.put(Table::certificates, "big", big);
    } catch (const StoreError&) {
      caught = true;  // wrongly ignored: the store reruns the batch anyway
    }
  });
  CHECK(error == "");
  CHECK(caught);
  CHECK(runs > 1);
  CHECK(store->read().get(Table::certificates, "big") == big);
}
