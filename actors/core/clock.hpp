#pragma once
// The node's wall clock, in one place. Every record the node stamps (registrations, token
// updates, certificate requests, events, last-seen times) and every age it judges (token expiry,
// retention, login lockouts) reads it from NodeContext::clock, so a test can set the time instead
// of waiting for it (ManualClock).

#include <atomic>
#include <cstdint>
#include <string>

#include "protocol/date_time.hpp"

namespace evbroker::actors {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch.
  virtual std::int64_t now_ms() const = 0;
  /// The same instant as an OCPP dateTime.
  ocpp::DateTime now() const { return ocpp::DateTime::from_unix_ms(now_ms()); }
  /// "2026-11-25T10:00:00.000Z".
  std::string now_text() const { return now().to_string(); }
};

/// std::chrono::system_clock: what a running node uses.
const Clock& system_clock();

/// A clock that moves only when told to (unit and actor tests). Safe to read from any thread.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'764'000'000'000) : now_ms_(start_ms) {}
  std::int64_t now_ms() const override { return now_ms_.load(std::memory_order_relaxed); }
  void set(std::int64_t ms) { now_ms_.store(ms, std::memory_order_relaxed); }
  void advance(std::int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace evbroker::actors
