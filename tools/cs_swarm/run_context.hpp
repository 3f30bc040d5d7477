#pragma once
// What every station of a run shares: the options, the plan, where to connect, and the few
// run-wide facts stations report into (first attempts resolved, the drop/recovery clock). Built
// once by the swarm before the I/O threads start; after that only its atomics change.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "pki/x509.hpp"
#include "tools/cs_swarm/link.hpp"
#include "tools/cs_swarm/options.hpp"
#include "tools/cs_swarm/scenario.hpp"
#include "tools/cs_swarm/stats.hpp"

namespace evbroker::swarm {

using Clock = std::chrono::steady_clock;

/// How long stations take to come back after losing their connections (a storm, a server
/// restart): from the first drop of a booted station to the moment the last of them is booted again.
class RecoveryClock {
 public:
  void dropped(Clock::time_point t) {
    waiting_.fetch_add(1, std::memory_order_relaxed);
    drops_.fetch_add(1, std::memory_order_relaxed);
    auto ns = t.time_since_epoch().count();
    auto seen = first_drop_.load(std::memory_order_relaxed);
    while (ns < seen && !first_drop_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
    }
  }
  void rebooted(Clock::time_point t) {
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    auto ns = t.time_since_epoch().count();
    auto seen = last_reboot_.load(std::memory_order_relaxed);
    while (ns > seen && !last_reboot_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
    }
  }
  std::uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }
  std::int64_t waiting() const { return waiting_.load(std::memory_order_relaxed); }
  /// Seconds from the first drop to the last reboot; negative while stations are still waiting.
  double seconds() const {
    if (drops() == 0 || waiting() > 0) return -1;
    return static_cast<double>(last_reboot_.load() - first_drop_.load()) / 1e9;
  }

 private:
  std::atomic<std::int64_t> first_drop_{std::numeric_limits<std::int64_t>::max()};
  std::atomic<std::int64_t> last_reboot_{0};
  std::atomic<std::int64_t> waiting_{0};
  std::atomic<std::uint64_t> drops_{0};
};

struct RunContext {
  SwarmOptions options;
  ScenarioPlan plan;
  ConnectTarget target;
  std::vector<boost::asio::ip::address> sources;  // empty: the kernel picks
  std::size_t stations = 0;                       // simulated (after the descriptor cap)
  std::string run_tag;                            // makes 2.0.1 transaction ids unique per run
  Clock::duration pace{};                         // per-station gap between cycle CALLs; 0: unpaced
  Clock::duration call_timeout{};
  ErrorTally* errors = nullptr;
  // pnc: one key for every station's CSR (a key per station would cost the run's start, and the
  // server checks the CN, not the key); the pause after each CertificateSigned.
  std::optional<pki::PrivateKey> pnc_key;
  Clock::duration pnc_interval{};

  // reported by stations
  std::atomic<std::size_t> first_attempts_resolved{0};  // booted, or failed, once
  RecoveryClock recovery;
};

/// Station id of global index i: <prefix><first_index + i, zero-padded to 6 digits>.
inline std::string station_id(const SwarmOptions& o, std::size_t i) {
  std::string digits = std::to_string(o.first_index + i);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return o.id_prefix + digits;
}

/// Token uid of token index t.
inline std::string token_uid(const SwarmOptions& o, std::size_t t) {
  std::string digits = std::to_string(t + 1);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return o.id_tag_prefix + digits;
}

}  // namespace evbroker::swarm
