#pragma once
// The node's Prometheus metrics: lock-free counters bumped on the hot path, rendered as text on
// GET /metrics. Only counters and a fixed-bucket histogram, so there is nothing to allocate per
// message.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "protocol/version.hpp"

namespace evbroker::storage {
struct CommitStats;
}

namespace evbroker::actors {

class StationDirectory;

enum class MessageOutcome : std::uint8_t { ok, call_error, count_ };
enum class UpgradeOutcome : std::uint8_t {
  accepted,
  bad_path,
  unknown_station,
  bad_credentials,
  wrong_profile,
  no_subprotocol,
  throttled,
  shed,       // closed at accept: station budget full, too many handshakes (in total or from the address)
  timed_out,  // sent nothing in time, or did not finish its upgrade in time
  count_
};
enum class CsmsCallOutcome : std::uint8_t {
  result,
  call_error,
  invalid_response,
  timeout,
  disconnected,
  queue_full,
  not_sent,
  not_allowed,
  unknown,
  count_
};

class Metrics {
 public:
  static constexpr std::size_t kVersions = 3;
  static constexpr std::size_t kMaxActions = 128;
  /// Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  /// A station CALL answered: by version, action index and outcome, with the time from receipt
  /// to the answer being queued on the socket.
  void station_call(ocpp::Version version, std::size_t action, MessageOutcome outcome, double seconds);
  /// A station frame refused before it reached a handler (malformed, unknown action, ...).
  void frame_rejected() { frames_rejected_.fetch_add(1, std::memory_order_relaxed); }
  void upgrade(UpgradeOutcome outcome);
  void csms_call(CsmsCallOutcome outcome);
  /// A station message not stored because its station's storage budget was full.
  void budget_refusal() { budget_refusals_.fetch_add(1, std::memory_order_relaxed); }

  /// The Prometheus text exposition of everything, plus the directory's connection counts and the
  /// store's commit figures.
  std::string render(const StationDirectory& directory, const storage::CommitStats& store) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  std::array<std::array<std::array<Counter, static_cast<std::size_t>(MessageOutcome::count_)>, kMaxActions>, kVersions>
      messages_{};
  std::array<Counter, kLatencyBounds.size() + 1> latency_buckets_{};
  Counter latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_micros_{0};
  Counter frames_rejected_{0};
  Counter budget_refusals_{0};
  std::array<Counter, static_cast<std::size_t>(UpgradeOutcome::count_)> upgrades_{};
  std::array<Counter, static_cast<std::size_t>(CsmsCallOutcome::count_)> csms_calls_{};
};

}  // namespace evbroker::actors
