#pragma once
// What the swarm counts. Each I/O thread owns one ThreadStats and is its only writer (relaxed
// atomics, no contention); the main thread sums snapshots for the progress line and the report,
// and subtracts two snapshots to get the figures of an interval (a second, the measurement window).
// Errors are also tallied by kind (an error code, a validation failure, a connect failure) in one
// shared, locked map: errors are rare, and when they are not, their kinds are what matters.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tools/cs_swarm/latency_histogram.hpp"
#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {

/// Monotonic counters (never reset).
enum class Counter : std::uint8_t {
  calls,            // CALLs sent
  results,          // valid CALLRESULTs to our CALLs
  call_errors,      // CALLERRORs to our CALLs
  invalid_answers,  // CALLRESULTs that break the response schema, or frames that are not OCPP-J
  timeouts,         // no answer within --call-timeout
  late_answers,     // an answer after its timeout, or to no CALL of ours
  lost_calls,       // the connection closed while a CALL waited for its answer
  csms_calls,       // CALLs the server sent us (answered with a CALLERROR NotSupported)
  connect_attempts,
  connects,          // websocket opened
  connect_failures,  // TCP, TLS or upgrade failed (by kind in the tally)
  disconnects,       // an open connection closed without us asking
  boots,             // BootNotification answered Accepted
  boots_rejected,    // BootNotification answered Pending or Rejected
  rejections,        // a valid answer the scenario cannot go on with (SignCertificate Rejected)
  tls_resumed,       // wss connections that resumed the station's previous TLS session
  count_
};
inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);

/// Answered CALLs (result or error) by step and version: index step * 2 + (v16 ? 1 : 0).
inline constexpr std::size_t kAnsweredSlots = kStepCount * 2;

struct StatsSnapshot {
  std::array<std::uint64_t, kCounterCount> counters{};
  std::array<std::uint64_t, kAnsweredSlots> answered{};
  LatencyCounts latency;
  LatencyCounts sign_to_signed;  // SignCertificate sent to CertificateSigned received (pnc)
  std::int64_t connected = 0;    // gauges: not subtracted
  std::int64_t booted = 0;

  std::uint64_t operator[](Counter c) const { return counters[static_cast<std::size_t>(c)]; }
  /// Answers (results + errors) per second and errors of all kinds, for the progress line.
  std::uint64_t answers() const {
    return (*this)[Counter::results] + (*this)[Counter::call_errors] + (*this)[Counter::invalid_answers];
  }
  std::uint64_t errors() const;

  StatsSnapshot& operator+=(const StatsSnapshot& other);
  /// Subtracts counters and latency; keeps this snapshot's gauges.
  StatsSnapshot& operator-=(const StatsSnapshot& other);
};

class ThreadStats {
 public:
  void add(Counter c, std::uint64_t n = 1) noexcept {
    counters_[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  void answered(Step step, bool v16, std::uint64_t micros) noexcept {
    answered_[static_cast<std::size_t>(step) * 2 + (v16 ? 1 : 0)].fetch_add(1, std::memory_order_relaxed);
    latency_.record(micros);
  }
  /// An awaited CertificateSigned arrived `micros` after its SignCertificate was sent.
  void certificate_signed(std::uint64_t micros) noexcept { sign_to_signed_.record(micros); }
  void connected(int delta) noexcept { connected_.fetch_add(delta, std::memory_order_relaxed); }
  void booted(int delta) noexcept { booted_.fetch_add(delta, std::memory_order_relaxed); }

  void add_to(StatsSnapshot& out) const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kCounterCount> counters_{};
  std::array<std::atomic<std::uint64_t>, kAnsweredSlots> answered_{};
  std::atomic<std::int64_t> connected_{0};
  std::atomic<std::int64_t> booted_{0};
  LatencyHistogram latency_;
  LatencyHistogram sign_to_signed_;
};

/// Errors by kind, in named groups ("call_errors" by error code, "invalid_answers", "connect", ...).
class ErrorTally {
 public:
  void add(const std::string& group, const std::string& kind);
  std::map<std::string, std::map<std::string, std::uint64_t>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, std::uint64_t>> groups_;
};

}  // namespace evbroker::swarm
