#pragma once
// Private to protocol/transport: what the listener (ws_server.cpp) and the sessions
// (ws_session_*.cpp) share. No Beast here, so the listener's translation unit stays small.
//
// Ownership:
//  - WsConfig (options + callbacks) is immutable and shared by the listener and every session.
//  - WsServerState is owned by the WsServer. It holds each *open* session strongly, so a session
//    whose reads are paused by flow control (no I/O pending) stays alive; sessions point back to
//    it weakly. When the WsServer is destroyed, the state is shut down: the callbacks decide/open/
//    refused are no longer called, open sessions are asked to close (1001) and released; each one
//    still gets its on_closed, at the latest when the io_context destroys its pending handlers.
//  - A session in its handshake is kept alive by its pending operations only; the state knows it
//    weakly, so that shutting down can end the handshake (and free what it holds) at once.
//  - What an accepted socket holds (Admission: a handshake slot, a per-address slot, a budget
//    unit) is owned by its session and released exactly once, at the latest when it is destroyed.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "protocol/transport/ws_server.hpp"

namespace evbroker::transport::detail {

struct WsConfig {
  WsServerOptions options;
  WsCallbacks callbacks;
};

/// A session in its handshake, as the server state sees it.
class HandshakingSession {
 public:
  /// Any thread: ends the handshake now if it is still running (the server is going away).
  virtual void abort_handshake() = 0;

 protected:
  ~HandshakingSession() = default;
};

class WsServerState {
 public:
  explicit WsServerState(std::size_t max_pending_handshakes) : max_pending_(max_pending_handshakes) {}

  /// Admission control: reserves a handshake slot, or returns false when all are taken.
  bool try_begin_handshake() {
    std::size_t current = pending_.load(std::memory_order_relaxed);
    do {
      if (current >= max_pending_) return false;
    } while (!pending_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    return true;
  }
  void end_handshake() { pending_.fetch_sub(1, std::memory_order_relaxed); }
  std::size_t pending_handshakes() const { return pending_.load(std::memory_order_relaxed); }

  bool shut_down() const { return shut_down_.load(std::memory_order_acquire); }

  /// Registers a session whose handshake runs; false (nothing registered) once shut down.
  bool track_handshake(const void* id, std::weak_ptr<HandshakingSession> session) {
    std::lock_guard lock(mutex_);
    if (shut_down()) return false;
    handshaking_.insert_or_assign(id, std::move(session));
    return true;
  }
  void untrack_handshake(const void* id) {
    std::lock_guard lock(mutex_);
    handshaking_.erase(id);
  }

  /// Registers an open session; false (and nothing registered) once shut down.
  bool add(const std::shared_ptr<Connection>& session) {
    std::lock_guard lock(mutex_);
    if (shut_down()) return false;
    open_.emplace(session.get(), session);
    return true;
  }
  void remove(const Connection* session) {
    std::shared_ptr<Connection> released;  // destroyed outside the lock
    std::lock_guard lock(mutex_);
    auto it = open_.find(session);
    if (it == open_.end()) return;
    released = std::move(it->second);
    open_.erase(it);
  }
  std::vector<std::shared_ptr<Connection>> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Connection>> out;
    out.reserve(open_.size());
    for (const auto& entry : open_) out.push_back(entry.second);
    return out;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return open_.size();
  }
  struct Taken {
    std::vector<std::shared_ptr<Connection>> open;
    std::vector<std::shared_ptr<HandshakingSession>> handshaking;
  };
  /// Marks the server gone and hands back every open session and every session still in its
  /// handshake (the caller closes them, outside the lock).
  Taken shut_down_and_take() {
    std::lock_guard lock(mutex_);
    shut_down_.store(true, std::memory_order_release);
    Taken out;
    out.open.reserve(open_.size());
    for (auto& entry : open_) out.open.push_back(std::move(entry.second));
    open_.clear();
    for (auto& entry : handshaking_) {
      if (auto session = entry.second.lock()) out.handshaking.push_back(std::move(session));
    }
    handshaking_.clear();
    return out;
  }

 private:
  const std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> shut_down_{false};
  mutable std::mutex mutex_;
  std::unordered_map<const Connection*, std::shared_ptr<Connection>> open_;
  std::unordered_map<const void*, std::weak_ptr<HandshakingSession>> handshaking_;
};

/// Releases one slot of max_pending_handshakes exactly once (on release() or destruction).
class HandshakeSlot {
 public:
  HandshakeSlot() = default;
  explicit HandshakeSlot(std::weak_ptr<WsServerState> state) : state_(std::move(state)), held_(true) {}
  HandshakeSlot(HandshakeSlot&& other) noexcept
      : state_(std::move(other.state_)), held_(std::exchange(other.held_, false)) {}
  HandshakeSlot& operator=(HandshakeSlot&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
      held_ = std::exchange(other.held_, false);
    }
    return *this;
  }
  HandshakeSlot(const HandshakeSlot&) = delete;
  HandshakeSlot& operator=(const HandshakeSlot&) = delete;
  ~HandshakeSlot() { release(); }
  void release() {
    if (!held_) return;
    held_ = false;
    if (auto state = state_.lock()) state->end_handshake();
  }

 private:
  std::weak_ptr<WsServerState> state_;
  bool held_ = false;
};

/// Releases one handshake of a source address group exactly once. Holds the counter strongly:
/// it may be shared with another listener and outlive this one.
class AddressSlot {
 public:
  AddressSlot() = default;
  AddressSlot(std::shared_ptr<HandshakesByAddress> counter, std::string group)
      : counter_(std::move(counter)), group_(std::move(group)) {}
  AddressSlot(AddressSlot&& other) noexcept : counter_(std::move(other.counter_)), group_(std::move(other.group_)) {}
  AddressSlot& operator=(AddressSlot&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::move(other.counter_);
      group_ = std::move(other.group_);
    }
    return *this;
  }
  AddressSlot(const AddressSlot&) = delete;
  AddressSlot& operator=(const AddressSlot&) = delete;
  ~AddressSlot() { release(); }
  void release() {
    if (auto counter = std::move(counter_)) counter->end(group_);
  }

 private:
  std::shared_ptr<HandshakesByAddress> counter_;  // null: nothing held
  std::string group_;
};

/// Gives back one unit of the station-connection budget exactly once.
class BudgetLease {
 public:
  BudgetLease() = default;
  explicit BudgetLease(std::shared_ptr<ConnectionBudget> budget) : budget_(std::move(budget)) {}
  BudgetLease(BudgetLease&& other) noexcept : budget_(std::move(other.budget_)) {}
  BudgetLease& operator=(BudgetLease&& other) noexcept {
    if (this != &other) {
      release();
      budget_ = std::move(other.budget_);
    }
    return *this;
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;
  ~BudgetLease() { release(); }
  void release() {
    if (auto budget = std::move(budget_)) budget->release();
  }

 private:
  std::shared_ptr<ConnectionBudget> budget_;  // null: nothing held
};

/// What an admitted socket holds. The handshake slots go when the handshake ends (accepted,
/// refused, failed, timed out, aborted); the budget unit when the socket is closed.
struct Admission {
  HandshakeSlot handshake;
  AddressSlot address;
  BudgetLease budget;

  void end_handshake() {
    handshake.release();
    address.release();
  }
};

/// Starts the session of one accepted socket (the socket's executor is its own strand), which
/// takes over what `admission` holds.
void start_plain_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                         boost::asio::ip::tcp::socket socket, std::string remote_address, Admission admission);
void start_tls_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                       boost::asio::ip::tcp::socket socket, std::string remote_address, Admission admission);

}  // namespace evbroker::transport::detail
