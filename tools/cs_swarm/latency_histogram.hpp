#pragma once
// Call latency as a log-linear histogram over microseconds: each power of two is split into 32
// buckets, so any percentile read back is within ~3% of the true value, with no allocation and a
// fixed ~9 KiB per I/O thread. One thread records (relaxed atomics, uncontended); the progress line
// takes snapshots from another thread and subtracts them to get figures for one interval.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace evbroker::swarm {

inline constexpr int kSubBucketBits = 5;
inline constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBucketBits;
inline constexpr int kMaxExponent = 40;  // 2^40 us: 12 days, far beyond any timeout
inline constexpr std::size_t kLatencyBuckets = kSubBuckets * (kMaxExponent - kSubBucketBits + 2);

/// Plain counts: a snapshot, or the difference of two.
struct LatencyCounts {
  std::array<std::uint64_t, kLatencyBuckets> buckets{};
  std::uint64_t total = 0;

  /// Latency in milliseconds below which a fraction q (0..1) of the samples lie; 0 when empty.
  double percentile_ms(double q) const;
  /// Upper bound of the highest non-empty bucket, in milliseconds.
  double max_ms() const;
  double mean_ms() const;

  LatencyCounts& operator+=(const LatencyCounts& other);
  LatencyCounts& operator-=(const LatencyCounts& other);
};

class LatencyHistogram {
 public:
  void record(std::uint64_t micros) noexcept { counts_[bucket_of(micros)].fetch_add(1, std::memory_order_relaxed); }
  void add_to(LatencyCounts& out) const noexcept;

  static std::size_t bucket_of(std::uint64_t micros) noexcept;
  /// The smallest and one past the largest value of a bucket, in microseconds.
  static std::uint64_t bucket_low(std::size_t bucket) noexcept;
  static std::uint64_t bucket_high(std::size_t bucket) noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets> counts_{};
};

}  // namespace evbroker::swarm
