// Acknowledged means durable: a child process writes through the group committer and acknowledges
// each key on a pipe from its completion (that is, after the commit); the parent kills it with
// SIGKILL mid-stream, reopens the store and finds every acknowledged key.
//
// What this proves: no completion runs before its commit, and a killed writer leaves an environment
// that opens cleanly (stale reader slot and lock file included). What it cannot prove: fsync against
// power loss (the page cache survives a process kill); that rests on LMDB's commit with sync on.

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
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

constexpr int kWriterThreads = 4;

std::string ack_key(int thread, std::uint64_t i) {
  std::string k = prefix({"CS" + std::to_string(thread)});
  append_u64(k, i);
  return k;
}

/// The child: writes forever from several threads, one write(2) per acknowledged key
/// ("<thread> <i>\n", short enough to be atomic on a pipe). Never returns.
[[noreturn]] void child_main(const std::string& dir, int ack_fd) {
  auto opened = Store::open(dir);
  if (!opened) _exit(3);
  auto& store = *opened;
  GroupCommitter committer(*store);
  // Hold a read transaction open for the whole run, as a reader thread would: the kill leaves its
  // reader slot behind, which the next open must clear.
  auto reader = store->read();
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriterThreads; ++t) {
    writers.emplace_back([&, t] {
      for (std::uint64_t i = 0;; ++i) {
        std::atomic<bool> done{false};
        std::string line = std::to_string(t) + " " + std::to_string(i) + "\n";
        committer.submit(
            [t, i](WriteTxn& txn) {
              txn.put(Table::meter_values, ack_key(t, i), std::string(300, 'm'));
              txn.next("acks");
            },
            [&](const std::string& error) {
              if (!error.empty()) _exit(4);
              if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(5);
              done = true;
              done.notify_one();
            });
        done.wait(false);
      }
    });
  }
  for (auto& w : writers) w.join();
  _exit(6);  // not reached
}

}  // namespace

TEST_CASE("every write acknowledged before a kill -9 is there after reopening", "[crash]") {
  TempDir tmp;
  std::string dir = tmp / "data";
  // Create the environment first so the child starts writing at once.
  { open_store(dir); }

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_main(dir, fds[1]);
  }
  ::close(fds[1]);

  // Read acknowledgments until enough have arrived, then kill mid-stream.
  constexpr std::size_t kAcksBeforeKill = 300;
  std::string received;
  std::size_t lines = 0;
  char buf[4096];
  bool killed = false;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);  // a hung child fails, not hangs
  for (;;) {
    if (!killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{fds[0], POLLIN, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        ::kill(pid, SIGKILL);
        killed = timed_out = true;
      }
    }
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is gone (killed, or failed early)
    received.append(buf, static_cast<std::size_t>(n));
    lines += static_cast<std::size_t>(std::count(buf, buf + n, '\n'));
    if (!killed && lines >= kAcksBeforeKill) {
      REQUIRE(::kill(pid, SIGKILL) == 0);
      killed = true;
      // Keep reading: acknowledgments written before the kill are still in the pipe.
    }
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status);
  REQUIRE_FALSE(timed_out);
  REQUIRE(killed);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  // Parse "<thread> <i>\n" lines; only complete lines count as acknowledged.
  std::vector<std::string> acked;
  std::size_t pos = 0;
  for (std::size_t nl; (nl = received.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    std::string line = received.substr(pos, nl - pos);
    auto space = line.find(' ');
    REQUIRE(space != std::string::npos);
    acked.push_back(ack_key(std::stoi(line.substr(0, space)), std::stoull(line.substr(space + 1))));
  }
  REQUIRE(acked.size() >= kAcksBeforeKill);

  auto reopened = Store::open(dir);
  REQUIRE(reopened.has_value());
  auto& store = *reopened;
  {
    auto txn = store->read();
    std::size_t missing = 0;
    for (const auto& k : acked) missing += !txn.get(Table::meter_values, k).has_value();
    CHECK(missing == 0);
    // Every committed write also bumped the counter in the same operation: they agree.
    CHECK(txn.count(Table::meter_values) >= acked.size());
    auto counter = txn.get(Table::counters, "acks");
    REQUIRE(counter.has_value());
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
      value = (value << 8) | static_cast<unsigned char>((*counter)[static_cast<std::size_t>(i)]);
    CHECK(value == txn.count(Table::meter_values));
    // Each writer's keys are gapless up to its last committed one (closed loop: one at a time).
    for (int t = 0; t < kWriterThreads; ++t) {
      std::uint64_t expect = 0;
      bool gapless = true;
      txn.scan(Table::meter_values, prefix({"CS" + std::to_string(t)}), [&](std::string_view k, std::string_view) {
        gapless = gapless && trailing_u64(k) == expect++;
        return gapless;
      });
      CHECK(gapless);
    }
  }
  // And the store takes writes again.
  GroupCommitter committer(*store);
  CHECK(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "after-crash", "ok"); }) == "");
  CHECK(store->read().get(Table::stations, "after-crash") == "ok");
}
