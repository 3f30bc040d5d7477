#include <random>

#include "actors/cluster/cluster_settings.hpp"

namespace evbroker::actors {

std::string new_traceparent() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](std::uint64_t value, int digits) {
    std::string out(static_cast<std::size_t>(digits), '0');
    for (int i = digits - 1; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 0xf];
    return out;
  };
  // All-zero ids are invalid in W3C trace context; 64 random bits make one practically impossible,
  // but the low bit is forced anyway.
  return "00-" + hex(rng(), 16) + hex(rng() | 1, 16) + "-" + hex(rng() | 1, 16) + "-01";
}

}  // namespace evbroker::actors
