#pragma once
// Private to protocol/transport: what the listener (ws_server.cpp) and the sessions
// (ws_session_plain.cpp, ws_session_tls.cpp) share. No Beast here, so the listener's
// translation unit stays small.
//
// Ownership:
//  - WsConfig (options + callbacks) is immutable and shared by the listener and every session.
//  - WsServerState is owned by the WsServer. It holds each *open* session strongly, so a session
//    whose reads are paused by flow control (no I/O pending) stays alive; sessions point back to
//    it weakly. When the WsServer is destroyed, the state is shut down: the callbacks decide/open/
//    refused are no longer called, open sessions are asked to close (1001) and released; each one
//    still gets its on_closed, at the latest when the io_context destroys its pending handlers.
//  - A session in its handshake is kept alive by its pending operations only.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "protocol/transport/ws_server.hpp"

namespace evbroker::transport::detail {

struct WsConfig {
  WsServerOptions options;
  WsCallbacks callbacks;
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
  /// Marks the server gone and hands back every open session (the caller closes them).
  std::vector<std::shared_ptr<Connection>> shut_down_and_take() {
    std::lock_guard lock(mutex_);
    shut_down_.store(true, std::memory_order_release);
    std::vector<std::shared_ptr<Connection>> out;
    out.reserve(open_.size());
    for (auto& entry : open_) out.push_back(std::move(entry.second));
    open_.clear();
    return out;
  }

 private:
  const std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> shut_down_{false};
  mutable std::mutex mutex_;
  std::unordered_map<const Connection*, std::shared_ptr<Connection>> open_;
};

/// Releases one handshake slot exactly once (on release() or destruction).
class HandshakeSlot {
 public:
  HandshakeSlot() = default;
  explicit HandshakeSlot(std::weak_ptr<WsServerState> state) : state_(std::move(state)), held_(true) {}
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

/// Starts the session of one accepted socket (the socket's executor is its own strand).
/// `slot` was reserved by try_begin_handshake.
void start_plain_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                         boost::asio::ip::tcp::socket socket, std::string remote_address);
void start_tls_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                       boost::asio::ip::tcp::socket socket, std::string remote_address);

}  // namespace evbroker::transport::detail
