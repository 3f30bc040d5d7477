// What Store::open refuses: a data directory another open already holds (another process or this
// one), an empty, truncated or foreign data.mdb, and a directory the node cannot write. Opens that
// could crash (a truncated file used to end in SIGBUS) run in a forked child, so that a crash fails
// the test instead of killing the test runner.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "helpers.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

using namespace evbroker::storage;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

namespace {

/// How a forked child's Store::open went.
struct ChildOpen {
  int signal = 0;      // the signal that killed the child, 0 when it exited
  int exit_code = -1;  // its exit code when it exited
  std::string output;  // "opened", or "error: <Store::open's error>", or what `setup` reported
};

/// Reads a pipe to its end.
std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

/// Runs Store::open(dir) in a forked child. `setup` runs in the child first; a non-empty result is
/// reported instead of opening (e.g. "skip: ...").
ChildOpen open_in_child(const std::string& dir, const std::function<std::string()>& setup = {}) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = setup ? setup() : std::string();
    if (out.empty()) {
      auto opened = Store::open(dir);
      out = opened ? "opened" : "error: " + opened.error();
    }
    write_all(fds[1], out);
    _exit(0);  // no destructors, no Catch2 teardown in the child
  }
  ::close(fds[1]);
  ChildOpen result;
  result.output = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

/// A store with enough data for a few hundred pages, closed again.
void write_store(const std::string& dir) {
  auto store = open_store(dir);
  GroupCommitter committer(*store);
  REQUIRE(commit(committer, [](WriteTxn& txn) {
            for (int i = 0; i < 2000; ++i)
              txn.put(Table::meter_values, "MV" + std::to_string(i), std::string(300, 'm'));
          }) == "");
}

std::uintmax_t file_size(const std::string& path) { return std::filesystem::file_size(path); }

void truncate_to(const std::string& path, std::uintmax_t size) {
  std::filesystem::resize_file(path, size);
  REQUIRE(file_size(path) == size);
}

/// The number that follows `label` in `text` (0 when absent).
std::uint64_t number_after(const std::string& text, const std::string& label) {
  auto at = text.find(label);
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + label.size()));
}

/// A process that holds the store in `dir` open until release() (or its destruction).
class Holder {
 public:
  explicit Holder(const std::string& dir) {
    int ready[2], hold[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(hold) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(hold[1]);
      auto opened = Store::open(dir);
      write_all(ready[1], opened ? "opened" : "error: " + opened.error());
      ::close(ready[1]);
      read_all(hold[0]);  // until the parent closes its end
      _exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    release_fd_ = hold[1];
    status_ = read_all(ready[0]);
    ::close(ready[0]);
  }
  ~Holder() { release(); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& status() const { return status_; }
  /// Lets the child close its store and exit; waits for it.
  void release() {
    if (release_fd_ >= 0) ::close(release_fd_);
    release_fd_ = -1;
    reap();
  }
  void kill9() {
    if (!reaped_) ::kill(pid_, SIGKILL);
    reap();
  }

 private:
  void reap() {
    if (reaped_) return;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool reaped_ = false;
  std::string status_;
};

}  // namespace

// ---- the lock on the data directory ------------------------------------------------------------------

TEST_CASE("a data directory open in another process is refused with that process's PID", "[store][lock]") {
  TempDir tmp;
  Holder holder(tmp.path());
  REQUIRE(holder.status() == "opened");

  auto second = Store::open(tmp.path());
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error() == tmp.path() + " is in use by another evbroker process (PID " + std::to_string(holder.pid()) +
                              "): stop it, or give this node another --data-dir");

  holder.release();
  CHECK(Store::open(tmp.path()).has_value());  // free again once the holder has closed it
}

TEST_CASE("a second open of a data directory in the same process is refused", "[store][lock]") {
  TempDir tmp;
  auto first = open_store(tmp.path());
  auto second = Store::open(tmp.path());
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error() == tmp.path() + " is already open in this process (PID " + std::to_string(::getpid()) +
                              "): a data directory can be opened once at a time");
  // The refused open left the first one working.
  GroupCommitter committer(*first);
  CHECK(commit(committer, [](WriteTxn& txn) { txn.put(Table::stations, "CS1", "x"); }) == "");
  CHECK(first->read().get(Table::stations, "CS1") == "x");
}

TEST_CASE("the lock dies with a killed holder: the next open succeeds", "[store][lock]") {
  TempDir tmp;
  Holder holder(tmp.path());
  REQUIRE(holder.status() == "opened");
  REQUIRE_FALSE(Store::open(tmp.path()).has_value());
  holder.kill9();
  auto reopened = Store::open(tmp.path());
  INFO((reopened ? std::string() : reopened.error()));
  CHECK(reopened.has_value());
}

TEST_CASE("the lock file names the process that has the store open", "[store][lock]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    std::ifstream in(tmp / "evbroker.lock");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(content == std::to_string(::getpid()) + "\n");
  }
  // Closing leaves the file (removing a lock file races with the next opener) but not the lock.
  CHECK(std::filesystem::exists(tmp / "evbroker.lock"));
  CHECK(Store::open(tmp.path()).has_value());
}

// ---- damaged data files ------------------------------------------------------------------------------

TEST_CASE("an empty data.mdb is refused instead of starting an empty store", "[store][damage]") {
  TempDir tmp;
  write_store(tmp.path());
  std::string data = tmp / "data.mdb";
  truncate_to(data, 0);

  auto child = open_in_child(tmp.path());
  CHECK(child.signal == 0);
  CHECK(child.output == "error: " + data +
                            " is empty (0 bytes): the store is damaged or was truncated; restore it from a backup, "
                            "or remove the directory to start an empty store");
  CHECK(file_size(data) == 0);  // left as it was: nothing was written over it
}

TEST_CASE("a truncated data.mdb is refused with both sizes instead of crashing with SIGBUS", "[store][damage]") {
  TempDir tmp;
  write_store(tmp.path());
  std::string data = tmp / "data.mdb";
  const std::uintmax_t full = file_size(data);
  REQUIRE(full > 64 * 4096);

  std::uintmax_t truncated = 0;
  SECTION("to half its size") { truncated = full / 2; }
  SECTION("to just short of its last page") { truncated = full - 100; }
  SECTION("to its two meta pages") { truncated = 2 * 4096; }
  truncate_to(data, truncated);

  auto child = open_in_child(tmp.path());
  INFO(child.output);
  REQUIRE(child.signal == 0);
  CHECK_THAT(child.output, Catch::StartsWith("error: " + data + " is truncated: it has " + std::to_string(truncated) +
                                             " bytes, the store uses ") &&
                               Catch::EndsWith("the store is damaged: restore it from a backup"));
  const auto uses = number_after(child.output, "the store uses ");
  CHECK(uses > truncated);
  CHECK(uses <= full);
  CHECK(file_size(data) == truncated);
}

TEST_CASE("a data.mdb cut inside its meta pages, or not LMDB's, is refused as not an LMDB store", "[store][damage]") {
  TempDir tmp;
  std::string data = tmp / "data.mdb";
  SECTION("cut inside the second meta page") {
    write_store(tmp.path());
    truncate_to(data, 4096 + 64);
  }
  SECTION("a file of something else") { std::ofstream(data) << std::string(3 * 4096, 'x'); }
  auto child = open_in_child(tmp.path());
  INFO(child.output);
  REQUIRE(child.signal == 0);
  CHECK(child.output == "error: " + data +
                            " is not an LMDB store (MDB_INVALID: File is not an LMDB file): it is damaged, or not "
                            "evbroker's; restore it from a backup, or remove the directory to start an empty store");
}

TEST_CASE("a data.mdb of another LMDB format version is refused as such", "[store][damage]") {
  TempDir tmp;
  write_store(tmp.path());
  std::string data = tmp / "data.mdb";
  // The first meta page: a 16-byte page header, then the meta's magic (u32 0xBEEFC0DE) and its
  // format version (u32). Change the version only.
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    unsigned char magic[4] = {};
    f.seekg(16);
    f.read(reinterpret_cast<char*>(magic), 4);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    REQUIRE((magic[0] == 0xDE && magic[1] == 0xC0 && magic[2] == 0xEF && magic[3] == 0xBE));
    f.seekp(20);
    const char version[4] = {0x7F, 0, 0, 0};
    f.write(version, 4);
  }
  auto child = open_in_child(tmp.path());
  INFO(child.output);
  REQUIRE(child.signal == 0);
  CHECK_THAT(child.output, Catch::StartsWith("error: " + data +
                                             " was written by an incompatible LMDB version (MDB_VERSION_MISMATCH") &&
                               Catch::Contains("restore a backup"));
}

TEST_CASE("a store that passed the checks opens with its data, again and again", "[store][damage]") {
  TempDir tmp;
  write_store(tmp.path());
  for (int i = 0; i < 3; ++i) {
    auto store = open_store(tmp.path());
    CHECK(store->read().count(Table::meter_values) == 2000);
  }
}

// ---- directories the node cannot use -----------------------------------------------------------------

TEST_CASE("a data directory the node cannot write is refused with what to do", "[store][permissions]") {
  TempDir tmp;
  std::string dir = tmp / "read-only";
  std::filesystem::create_directory(dir);
  REQUIRE(::chmod(dir.c_str(), 0555) == 0);
  REQUIRE(::chmod(tmp.path().c_str(), 0755) == 0);  // mkdtemp made it 0700: let another user in
  // Root writes anywhere: as root, the child drops to the unprivileged user "nobody" first.
  auto child = open_in_child(dir, []() -> std::string {
    if (::geteuid() != 0) return {};
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) return "skip: no user nobody";
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) return "skip: cannot become nobody";
    if (::access(EVBROKER_TEST_TMP, X_OK) != 0) return "skip: nobody cannot reach " EVBROKER_TEST_TMP;
    return {};
  });
  if (child.output.starts_with("skip: ")) {
    WARN(child.output);
    return;
  }
  INFO(child.output);
  REQUIRE(child.signal == 0);
  CHECK(child.output == "error: " + dir +
                            ": Permission denied: the user running evbroker must be able to create and write files in "
                            "the data directory; fix its owner or mode, or give this node another --data-dir");
}
