#pragma once
// The node's budget of station connections: one counter shared by the ws and wss listeners so
// that stations (open websockets AND handshakes in progress, each one a file descriptor) can
// never take the descriptors the management API, the store and the MQTT link need. The node
// sizes the limit from RLIMIT_NOFILE minus its reserves; this class only counts. Thread-safe,
// lock-free. No Asio here.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace evbroker::transport {

class ConnectionBudget {
 public:
  /// `limit`: station sockets the node may hold at once (0 admits none).
  explicit ConnectionBudget(std::size_t limit) : limit_(limit) {}
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  /// Takes one unit for a newly accepted socket; false (and a refusal counted) when full.
  bool try_acquire() {
    std::size_t current = in_use_.load(std::memory_order_relaxed);
    do {
      if (current >= limit_) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!in_use_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    return true;
  }
  /// Gives back a unit taken by try_acquire (once per successful try_acquire).
  void release() { in_use_.fetch_sub(1, std::memory_order_relaxed); }

  std::size_t limit() const { return limit_; }
  /// Station sockets held now: open websockets plus handshakes in progress (for /metrics).
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  /// Sockets closed at accept because the budget was full, since construction.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace evbroker::transport
