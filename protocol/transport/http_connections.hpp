#pragma once
// Private to protocol/transport: the HTTP server's table of open connections, bounded by
// HttpServerOptions::max_connections. No Beast here.
//
// Why eviction and not refusal: idle keep-alive connections (and slowloris connections that
// never finish their header) would otherwise hold every place and lock the operator out of the
// API. At the limit, a new connection takes the place of the one that has waited longest
// without a request being handled; a connection whose request a handler has (busy) is never
// closed for a newcomer: when every connection is busy, the newcomer is refused.
//
// Each connection publishes one atomic word that the acceptor reads without the connection's
// strand: since-when it waits (steady clock, ns), or busy, or evicted. The acceptor claims a
// victim by compare-and-swap from "waiting since t" to "evicted"; a connection that hands a
// request to its handler swaps "waiting" to "busy" and learns that way whether it lost the race.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "protocol/transport/http_server.hpp"

namespace evbroker::transport::detail {

class TrackedConnection {
 public:
  TrackedConnection() { mark_waiting(); }
  TrackedConnection(const TrackedConnection&) = delete;
  TrackedConnection& operator=(const TrackedConnection&) = delete;
  virtual ~TrackedConnection() = default;

  /// Any thread (the acceptor's): the table chose this connection to make room; close it.
  virtual void evicted() = 0;

  // Connection side (its strand).
  /// Waiting for a request (accepted; response written on a keep-alive connection). The
  /// request header and body being read count as waiting.
  void mark_waiting() { set_unless_evicted(std::max<std::int64_t>(kLingering + 1, now_ns())); }
  /// A handler gets the request. False when the connection was evicted first: close it instead.
  bool mark_busy() { return set_unless_evicted(kBusy); }
  /// Closing after a response (draining what the peer still sends): the first to make room.
  void mark_lingering() { set_unless_evicted(kLingering); }
  bool was_evicted() const { return status_.load(std::memory_order_acquire) == kEvicted; }

 private:
  friend class ConnectionTable;
  static constexpr std::int64_t kEvicted = -2;
  static constexpr std::int64_t kBusy = -1;
  static constexpr std::int64_t kLingering = 0;  // sorts before every waiting time

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  bool set_unless_evicted(std::int64_t value) {
    std::int64_t current = status_.load(std::memory_order_acquire);
    do {
      if (current == kEvicted) return false;
    } while (!status_.compare_exchange_weak(current, value, std::memory_order_acq_rel));
    return true;
  }

  std::atomic<std::int64_t> status_{kLingering + 1};
};

class ConnectionTable {
 public:
  /// `max_connections` 0: unbounded.
  explicit ConnectionTable(std::size_t max_connections) : max_(max_connections) {}

  enum class Admit { admitted, refused };
  /// Takes a new connection, evicting the longest-waiting one at the limit (its evicted() is
  /// called before this returns, outside the lock). Refused when every connection is busy or
  /// the table is stopped.
  Admit admit(const std::shared_ptr<TrackedConnection>& connection);
  void remove(const TrackedConnection* connection);

  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  /// Stops admitting and returns the open connections.
  std::vector<std::shared_ptr<TrackedConnection>> stop_and_snapshot();
  HttpServerStats stats() const;

 private:
  /// Claims the longest-waiting connection (mutex_ held); null when all are busy.
  std::shared_ptr<TrackedConnection> claim_victim();

  const std::size_t max_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::uint64_t> refusals_{0};
  mutable std::mutex mutex_;
  std::unordered_map<const TrackedConnection*, std::weak_ptr<TrackedConnection>> open_;
};

}  // namespace evbroker::transport::detail
