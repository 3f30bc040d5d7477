#include "protocol/date_time.hpp"

#include <algorithm>

namespace evbroker::ocpp {
namespace {

using namespace std::chrono;

// The instants the text form can express: years 0000 to 9999.
constexpr auto kFirst = sys_days{year{0} / January / 1};
constexpr auto kLast = sys_days{year{9999} / December / 31} + hours{23} + minutes{59} + seconds{59} + milliseconds{999};

// Reads exactly `n` ASCII digits at text[pos]; advances pos. Returns -1 when they are not digits.
int read_digits(std::string_view text, std::size_t& pos, std::size_t n) noexcept {
  if (pos + n > text.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) noexcept {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

void put2(char* out, unsigned v) noexcept {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<DateTime> DateTime::parse(std::string_view text, bool lenient) noexcept {
  std::size_t pos = 0;
  int y = read_digits(text, pos, 4);
  if (y < 0 || !expect(text, pos, '-')) return std::nullopt;
  int mo = read_digits(text, pos, 2);
  if (mo < 0 || !expect(text, pos, '-')) return std::nullopt;
  int d = read_digits(text, pos, 2);
  if (d < 0 || pos >= text.size()) return std::nullopt;
  char sep = text[pos++];
  if (!(sep == 'T' || sep == 't' || (lenient && sep == ' '))) return std::nullopt;
  int h = read_digits(text, pos, 2);
  if (h < 0 || !expect(text, pos, ':')) return std::nullopt;
  int mi = read_digits(text, pos, 2);
  if (mi < 0 || !expect(text, pos, ':')) return std::nullopt;
  int s = read_digits(text, pos, 2);
  if (s < 0) return std::nullopt;

  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t first = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;  // digits past the third add 0 (truncation)
      scale /= 10;
      ++pos;
    }
    if (pos == first) return std::nullopt;  // "." must be followed by at least one digit
  }

  int offset_minutes = 0;
  if (pos == text.size()) {
    if (!lenient) return std::nullopt;  // RFC 3339 requires an offset
  } else if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = read_digits(text, pos, 2);
    if (oh < 0 || !expect(text, pos, ':')) return std::nullopt;
    int om = read_digits(text, pos, 2);
    if (om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;  // 60: a leap second

  auto t = time_point_cast<milliseconds>(sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + milliseconds{millis} -
                                         minutes{offset_minutes});
  if (t < kFirst || t > kLast) return std::nullopt;  // an offset pushed it out of 0000..9999
  return DateTime{t};
}

void DateTime::format(char* out) const noexcept {
  auto t = std::clamp<TimePoint>(time_, TimePoint{kFirst}, TimePoint{kLast});
  auto day_start = floor<days>(t);
  year_month_day ymd{day_start};
  hh_mm_ss<milliseconds> tod{t - day_start};

  unsigned y = static_cast<unsigned>(static_cast<int>(ymd.year()));
  put2(out, y / 100);
  put2(out + 2, y % 100);
  out[4] = '-';
  put2(out + 5, static_cast<unsigned>(ymd.month()));
  out[7] = '-';
  put2(out + 8, static_cast<unsigned>(ymd.day()));
  out[10] = 'T';
  put2(out + 11, static_cast<unsigned>(tod.hours().count()));
  out[13] = ':';
  put2(out + 14, static_cast<unsigned>(tod.minutes().count()));
  out[16] = ':';
  put2(out + 17, static_cast<unsigned>(tod.seconds().count()));
  out[19] = '.';
  auto ms = static_cast<unsigned>(tod.subseconds().count());
  out[20] = static_cast<char>('0' + ms / 100);
  put2(out + 21, ms % 100);
  out[23] = 'Z';
}

std::string DateTime::to_string() const {
  std::string s(kTextLength, '\0');
  format(s.data());
  return s;
}

}  // namespace evbroker::ocpp
