#pragma once
// Shared by the storage tests: a temporary directory and a blocking commit.

#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "storage/group_commit.hpp"

namespace evbroker::storage::test {

/// A fresh directory under the build tree, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::filesystem::create_directories(EVBROKER_TEST_TMP);
    std::string pattern = std::string(EVBROKER_TEST_TMP) + "/store-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " EVBROKER_TEST_TMP);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// A path inside the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Submits one operation and waits for its completion; returns its error (empty: committed).
inline std::string commit(GroupCommitter& committer, WriteOp op) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  committer.submit(std::move(op), [done](const std::string& error) { done->set_value(error); });
  return result.get();
}

/// Opens a store or fails the test with the reason.
inline std::unique_ptr<Store> open_store(const std::string& dir, const StoreOptions& options = {}) {
  auto store = Store::open(dir, options);
  if (!store) throw std::runtime_error("cannot open the store: " + store.error());
  return std::move(*store);
}

}  // namespace evbroker::storage::test
