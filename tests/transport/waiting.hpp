#pragma once
// Waiting in tests without fixed sleeps: poll a condition until a generous deadline, or watch a
// window for something that must not happen. No Boost here (the MQTT tests use it too).

#include <chrono>
#include <thread>

namespace transport_test {

using namespace std::chrono_literals;

/// Generous: only a broken implementation waits this long.
inline constexpr std::chrono::seconds kDeadline{10};

/// Polls `pred` until it holds or the deadline passes; returns its last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::steady_clock::duration within = kDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Checks that `pred` stays false for `window` (a negative check needs a window of time).
template <class Pred>
bool stays_false(Pred pred, std::chrono::steady_clock::duration window) {
  const auto until = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return false;
    std::this_thread::sleep_for(2ms);
  }
  return !pred();
}

}  // namespace transport_test
