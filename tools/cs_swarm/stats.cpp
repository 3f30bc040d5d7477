#include "tools/cs_swarm/stats.hpp"

namespace evbroker::swarm {

std::uint64_t StatsSnapshot::errors() const {
  return (*this)[Counter::call_errors] + (*this)[Counter::invalid_answers] + (*this)[Counter::timeouts] +
         (*this)[Counter::lost_calls] + (*this)[Counter::connect_failures] + (*this)[Counter::rejections];
}

StatsSnapshot& StatsSnapshot::operator+=(const StatsSnapshot& other) {
  for (std::size_t i = 0; i < kCounterCount; ++i) counters[i] += other.counters[i];
  for (std::size_t i = 0; i < kAnsweredSlots; ++i) answered[i] += other.answered[i];
  latency += other.latency;
  sign_to_signed += other.sign_to_signed;
  connected += other.connected;
  booted += other.booted;
  return *this;
}

StatsSnapshot& StatsSnapshot::operator-=(const StatsSnapshot& other) {
  for (std::size_t i = 0; i < kCounterCount; ++i) counters[i] -= other.counters[i];
  for (std::size_t i = 0; i < kAnsweredSlots; ++i) answered[i] -= other.answered[i];
  latency -= other.latency;
  sign_to_signed -= other.sign_to_signed;
  return *this;
}

void ThreadStats::add_to(StatsSnapshot& out) const noexcept {
  for (std::size_t i = 0; i < kCounterCount; ++i) out.counters[i] += counters_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kAnsweredSlots; ++i) out.answered[i] += answered_[i].load(std::memory_order_relaxed);
  latency_.add_to(out.latency);
  sign_to_signed_.add_to(out.sign_to_signed);
  out.connected += connected_.load(std::memory_order_relaxed);
  out.booted += booted_.load(std::memory_order_relaxed);
}

void ErrorTally::add(const std::string& group, const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++groups_[group][kind];
}

std::map<std::string, std::map<std::string, std::uint64_t>> ErrorTally::snapshot() const {
  std::lock_guard lock(mutex_);
  return groups_;
}

}  // namespace evbroker::swarm
