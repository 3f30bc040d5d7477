#pragma once
// OCPP date-time values (JSON schema "format": "date-time", i.e. RFC 3339).
//
// Kept as a UTC instant with millisecond resolution: OCPP 2.0.1 asks for UTC with at most
// millisecond precision, and handlers need an instant to order and subtract, not text. Offsets such
// as +02:00 are folded into UTC; finer fractions are truncated to milliseconds. The encoder always
// writes the canonical form "YYYY-MM-DDTHH:MM:SS.mmmZ".

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evbroker::ocpp {

class DateTime {
 public:
  using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

  /// Length of the canonical text form.
  static constexpr std::size_t kTextLength = 24;

  constexpr DateTime() = default;
  constexpr explicit DateTime(TimePoint t) : time_(t) {}

  static DateTime from_unix_ms(std::int64_t ms) { return DateTime{TimePoint{std::chrono::milliseconds{ms}}}; }

  /// Strict RFC 3339 date-time ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00.5+02:00"), in UTC
  /// within years 0000..9999 (what the text form can write back).
  /// `lenient` also accepts what real chargers send off-spec: a missing offset (read as UTC) and a
  /// space instead of the 'T'.
  static std::optional<DateTime> parse(std::string_view text, bool lenient = false) noexcept;

  TimePoint time() const noexcept { return time_; }
  std::int64_t unix_ms() const noexcept { return time_.time_since_epoch().count(); }

  /// Writes exactly kTextLength characters (no terminator). Years outside 0..9999 are clamped.
  void format(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr auto operator<=>(const DateTime&, const DateTime&) = default;

 private:
  TimePoint time_{};
};

}  // namespace evbroker::ocpp
