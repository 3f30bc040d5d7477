#pragma once
// Throttling of failed station logins (README "Security"), keyed by where the
// attempts come from, so that nobody can lock a station out by failing on its behalf: failures
// from one address for one station id lock that pair out for a while; many failures from one
// address, whatever the ids (password guessing, id scanning), lock the address out. A station
// presenting its correct credentials from any other address is never refused. Thread-safe (the
// upgrade decisions run on the I/O threads); the table is bounded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace evbroker::actors {

struct LoginThrottleSettings {
  std::size_t failures_per_station = 5;   // from one address for one station id, within the window
  std::size_t failures_per_address = 50;  // from one address for any station ids, within the window
  std::chrono::seconds window{60};
  std::chrono::seconds lockout{30};
  std::size_t max_tracked = 100000;  // entries kept; the oldest-expiring go first beyond it
};

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginThrottle(LoginThrottleSettings settings = {}) : settings_(settings) {}

  /// When an attempt from `address` for `station` is refused without being checked: the end of
  /// its lockout, or nullopt-like Clock::time_point{} when it may be checked.
  Clock::time_point locked_until(std::string_view address, std::string_view station, Clock::time_point now);
  /// A failed attempt (wrong or missing credentials, unknown station id).
  void failed(std::string_view address, std::string_view station, Clock::time_point now);
  /// A successful login: its pair starts afresh (the address count stays: it is not the station's).
  void succeeded(std::string_view address, std::string_view station);
  /// Pairs and addresses locked out now (for /metrics).
  std::size_t locked(Clock::time_point now) const;

  /// The address an upgrade's "ip:port" comes from: the ip; IPv6 reduced to its /64.
  static std::string source_of(std::string_view remote_address);

 private:
  struct Entry {
    std::size_t failures = 0;
    Clock::time_point window_start{};
    Clock::time_point locked_until{};
  };
  void count(std::unordered_map<std::string, Entry>& table, std::string key, std::size_t limit, Clock::time_point now);
  void bound(std::unordered_map<std::string, Entry>& table, Clock::time_point now);

  LoginThrottleSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> pairs_;      // address \0 station
  std::unordered_map<std::string, Entry> addresses_;  // address
};

}  // namespace evbroker::actors
