#pragma once
// Keeps what one misbehaving station (or address) can make the node log bounded: the first few
// events of a period are logged, the rest are counted and the count goes into the next line that
// is logged. Metrics count every event; the log only has to show that it happens and how often.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace evbroker::actors {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kBurst = 5;
  static constexpr std::chrono::seconds kPeriod{10};

  /// Whether this event may be logged now. When it may and events were held back since the last
  /// one logged, `held_back` says how many (log it with this line); 0 otherwise.
  bool may_log(Clock::time_point now, std::uint64_t& held_back) noexcept {
    held_back = 0;
    if (now - period_start_ >= kPeriod) {
      period_start_ = now;
      logged_in_period_ = 0;
    }
    if (logged_in_period_ >= kBurst) {
      ++held_back_;
      return false;
    }
    ++logged_in_period_;
    held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  Clock::time_point period_start_{};
  std::size_t logged_in_period_ = 0;
  std::uint64_t held_back_ = 0;
};

/// " (N similar messages not logged)" for a line that follows held-back ones, "" otherwise.
inline std::string held_back_note(std::uint64_t held_back) {
  if (held_back == 0) return {};
  return " (" + std::to_string(held_back) + " similar messages held back since the last one)";
}

}  // namespace evbroker::actors
