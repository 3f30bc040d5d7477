#include "tools/cs_swarm/latency_histogram.hpp"

#include <bit>

namespace evbroker::swarm {

std::size_t LatencyHistogram::bucket_of(std::uint64_t micros) noexcept {
  if (micros < kSubBuckets) return static_cast<std::size_t>(micros);  // exact below 32 us
  const int exponent = std::bit_width(micros) - 1;                    // >= kSubBucketBits
  if (exponent > kMaxExponent) return kLatencyBuckets - 1;
  const int shift = exponent - kSubBucketBits;
  const auto sub = static_cast<std::size_t>((micros >> shift) & (kSubBuckets - 1));
  return kSubBuckets * static_cast<std::size_t>(shift + 1) + sub;
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t bucket) noexcept {
  if (bucket < kSubBuckets) return bucket;
  const auto shift = bucket / kSubBuckets - 1;
  const auto sub = bucket % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t bucket) noexcept {
  if (bucket < kSubBuckets) return bucket + 1;
  const auto shift = bucket / kSubBuckets - 1;
  return bucket_low(bucket) + (std::uint64_t{1} << shift);
}

void LatencyHistogram::add_to(LatencyCounts& out) const noexcept {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
    const auto n = counts_[i].load(std::memory_order_relaxed);
    out.buckets[i] += n;
    out.total += n;
  }
}

double LatencyCounts::percentile_ms(double q) const {
  if (total == 0) return 0;
  // The rank of the sample at quantile q (1-based), then the bucket holding it; the figure is the
  // bucket's midpoint, which keeps the error within half a bucket (< 1.6%).
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > total) rank = total;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      const double mid = static_cast<double>(LatencyHistogram::bucket_low(i) + LatencyHistogram::bucket_high(i)) / 2;
      return mid / 1000.0;
    }
  }
  return max_ms();
}

double LatencyCounts::max_ms() const {
  for (std::size_t i = kLatencyBuckets; i-- > 0;)
    if (buckets[i] != 0) return static_cast<double>(LatencyHistogram::bucket_high(i)) / 1000.0;
  return 0;
}

double LatencyCounts::mean_ms() const {
  if (total == 0) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < kLatencyBuckets; ++i)
    if (buckets[i] != 0)
      sum += static_cast<double>(buckets[i]) *
             static_cast<double>(LatencyHistogram::bucket_low(i) + LatencyHistogram::bucket_high(i)) / 2;
  return sum / static_cast<double>(total) / 1000.0;
}

LatencyCounts& LatencyCounts::operator+=(const LatencyCounts& other) {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) buckets[i] += other.buckets[i];
  total += other.total;
  return *this;
}

LatencyCounts& LatencyCounts::operator-=(const LatencyCounts& other) {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) buckets[i] -= other.buckets[i];
  total -= other.total;
  return *this;
}

}  // namespace evbroker::swarm
