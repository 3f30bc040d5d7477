#pragma once
// Test-only helpers for the transport tests: waiting on conditions with a deadline, a thread pool
// running a server io_context, a client-side runner that drives async operations to completion
// with a deadline, and a recording ConnectionHandler.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>

#include "protocol/transport/ws_server.hpp"
#include "tests/transport/waiting.hpp"

namespace transport_test {

using namespace std::chrono_literals;
namespace net = boost::asio;

/// An io_context run by `n` threads until stop() (the node's shape: stop, join, then destroy).
class IoThreads {
 public:
  explicit IoThreads(int n = 2) : work_(net::make_work_guard(io)) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io.run(); });
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  ~IoThreads() { stop(); }
  void stop() {
    work_.reset();
    io.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  net::io_context io;

 private:
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

/// Drives a client's async operations on its own io_context in the calling thread.
class Runner {
 public:
  /// Runs until `done()` or the deadline; false on timeout.
  template <class Pred>
  bool run_until(Pred done, std::chrono::steady_clock::duration within = kDeadline) {
    io.restart();
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!done()) {
      if (io.run_one_until(deadline) == 0) {
        if (std::chrono::steady_clock::now() >= deadline || io.stopped()) return done();
      }
    }
    return true;
  }
  net::io_context io;
};

/// Records what one connection's handler saw. Optionally hands each text to a hook.
class RecordingHandler : public evbroker::transport::ConnectionHandler {
 public:
  void on_text(std::string text) override {
    std::function<void(const std::string&)> hook;
    {
      std::lock_guard lock(mutex_);
      texts_.push_back(text);
      hook = hook_;
      if (!closed_.empty()) text_after_close_ = true;
    }
    if (hook) hook(text);
  }
  void on_closed(const std::string& reason) override {
    std::lock_guard lock(mutex_);
    closed_.push_back(reason);
  }
  void set_hook(std::function<void(const std::string&)> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }
  std::vector<std::string> texts() const {
    std::lock_guard lock(mutex_);
    return texts_;
  }
  std::size_t text_count() const {
    std::lock_guard lock(mutex_);
    return texts_.size();
  }
  std::vector<std::string> closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  std::size_t closed_count() const {
    std::lock_guard lock(mutex_);
    return closed_.size();
  }
  bool text_after_close() const {
    std::lock_guard lock(mutex_);
    return text_after_close_;
  }
  std::weak_ptr<evbroker::transport::Connection> connection;  // set by the fixture's open callback

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> texts_;
  std::vector<std::string> closed_;
  bool text_after_close_ = false;
  std::function<void(const std::string&)> hook_;
};

/// A worker thread that runs jobs in order (for "from another thread" checks).
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace transport_test
