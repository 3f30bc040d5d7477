#pragma once
// Structure-aware mutations shared by the fuzz targets. libFuzzer's own mutations (bit flips,
// byte copies, dictionary words, cross-over) rarely produce what breaks a parser of structured text:
// 60,000 nested arrays, a 20-digit integer where an int32 belongs, a 100 KiB string, a lone UTF-16
// surrogate. Each target includes this header once and picks a dialect:
//
//   EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::json)
//
// which defines LLVMFuzzerCustomMutator: with probability kStructuredPercent one (sometimes a few)
// of the mutations below, otherwise libFuzzer's default mutation (LLVMFuzzerMutate). The mutations
// find the values of the text with a small lexer that tolerates anything (a mutated input is rarely
// valid): a value is a quoted string, a bracketed container up to its matching bracket, or a run of
// scalar characters.
//
// JSON (and TOML, whose arrays and inline tables look alike):
//   nest         wrap a value in 2..100,000 arrays or objects (log-uniform, bounded by max_len),
//                sometimes without closing them; or replace it with an empty nest
//   number       replace a scalar with a boundary number (2^63, -2^63-1, 1e400, 1e-400, -0, ...)
//   long string  replace a string's contents with up to 128 KiB of one character, an escape or a
//                multi-byte character repeated
//   bad UTF-8    insert an invalid byte sequence or a lone surrogate escape (\ud800) into a string
//   duplicate    repeat a member of an object ("a":1 -> "a":1,"a":1), or a line (TOML)
//   swap type    replace a value with a value of another type, or with another value of the input
//   truncate     cut the text inside a value
// HTTP (the websocket upgrade request):
//   repeat header lines, grow a header value or the target, percent escapes in the target, bad
//   UTF-8, line ending variants, base64 noise in credentials.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace evbroker::fuzz {

enum class Dialect { json, toml, http };

/// How often a structured mutation is chosen instead of libFuzzer's default one.
inline constexpr unsigned kStructuredPercent = 30;
/// The deepest nest the mutator builds (the issue's crash needed 60,000 levels).
inline constexpr std::size_t kMaxNest = 100000;

/// splitmix64: cheap to seed, and nearby seeds (libFuzzer passes one per mutation) give unrelated
/// sequences.
class Rng {
 public:
  explicit Rng(unsigned seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool percent(unsigned p) { return below(100) < p; }
  /// Log-uniform in [lo, hi]: small and huge values equally likely per order of magnitude.
  std::size_t log_uniform(std::size_t lo, std::size_t hi) {
    if (hi <= lo) return lo;
    const double a = std::log(static_cast<double>(lo)), b = std::log(static_cast<double>(hi) + 1);
    const double u = static_cast<double>(next() >> 11) / 9007199254740992.0;  // [0, 1)
    return std::clamp(static_cast<std::size_t>(std::exp(a + u * (b - a))), lo, hi);
  }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

 private:
  std::uint64_t state_;
};

enum class SpanKind : std::uint8_t { string, container, scalar };

struct Span {
  std::size_t begin, end;  // [begin, end)
  SpanKind kind;
};

/// The values of `text` as the lexer sees them (see the header comment). Unclosed strings and
/// containers end at the end of the text.
inline void find_spans(std::string_view text, Dialect dialect, std::vector<Span>& out) {
  out.clear();
  std::vector<std::size_t> open;  // indices into `out` of unclosed containers
  auto is_scalar_char = [dialect](unsigned char c) {
    if (std::isalnum(c) || c == '-' || c == '+' || c == '.') return true;
    return dialect == Dialect::toml && (c == '_' || c == ':');
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || (dialect == Dialect::toml && c == '\'')) {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != c) j += (text[j] == '\\' && c == '"') ? 2 : 1;
      j = std::min(j + 1, text.size());
      out.push_back({i, j, SpanKind::string});
      i = j;
    } else if (c == '[' || c == '{') {
      open.push_back(out.size());
      out.push_back({i, text.size(), SpanKind::container});
      ++i;
    } else if (c == ']' || c == '}') {
      if (!open.empty()) {
        out[open.back()].end = i + 1;
        open.pop_back();
      }
      ++i;
    } else if (is_scalar_char(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < text.size() && is_scalar_char(static_cast<unsigned char>(text[j]))) ++j;
      out.push_back({i, j, SpanKind::scalar});
      i = j;
    } else {
      ++i;
    }
  }
}

class Mutator {
 public:
  Mutator(Dialect dialect, std::string& text, std::size_t max_size, Rng& rng)
      : dialect_(dialect), text_(text), max_size_(max_size), rng_(rng) {}

  /// One structured mutation; false when none applied (e.g. no value found).
  bool run() {
    if (dialect_ == Dialect::http) return http();
    thread_local std::vector<Span> spans;
    find_spans(text_, dialect_, spans);
    if (spans.empty()) return insert_fragment();
    const Span span = pick_span(spans);
    switch (rng_.below(10)) {
      case 0:
      case 1: return nest(span);
      case 2: return number(span);
      case 3: return long_string(span);
      case 4: return bad_utf8(span);
      case 5: return duplicate(span);
      case 6: return swap_type(span, spans);
      case 7: return truncate(span);
      case 8: return nest_empty(span);
      default: return insert_fragment();
    }
  }

 private:
  std::size_t room() const { return max_size_ > text_.size() ? max_size_ - text_.size() : 0; }

  /// Containers and strings are where the interesting values live: favour them.
  Span pick_span(const std::vector<Span>& spans) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const Span& s = spans[rng_.below(spans.size())];
      if (s.kind != SpanKind::scalar || attempt == 3) return s;
    }
    return spans.front();
  }

  bool replace(std::size_t begin, std::size_t end, std::string_view with) {
    if (text_.size() - (end - begin) + with.size() > max_size_) return false;
    text_.replace(begin, end - begin, with);
    return true;
  }

  /// Opening and closing tokens of one level of nesting.
  std::pair<std::string_view, std::string_view> level() {
    static constexpr std::string_view kJsonOpen[] = {"[", "{\"a\":", "[", "{\"customData\":", "[0,"};
    static constexpr std::string_view kJsonClose[] = {"]", "}", "]", "}", "]"};
    static constexpr std::string_view kTomlOpen[] = {"[", "{a=", "[", "{ x = "};
    static constexpr std::string_view kTomlClose[] = {"]", "}", "]", " }"};
    if (dialect_ == Dialect::toml) {
      std::size_t k = rng_.below(std::size(kTomlOpen));
      return {kTomlOpen[k], kTomlClose[k]};
    }
    std::size_t k = rng_.below(std::size(kJsonOpen));
    return {kJsonOpen[k], kJsonClose[k]};
  }

  bool nest(const Span& span) {
    auto [open, close] = level();
    const bool mixed = rng_.percent(20);  // alternate arrays and objects
    const std::size_t unit = open.size() + close.size() + (mixed ? 5 : 0);
    if (room() < unit * 2) return false;
    const std::size_t depth = rng_.log_uniform(2, std::min(kMaxNest, room() / unit));
    const bool unclosed = rng_.percent(10);
    std::string head, tail;
    head.reserve(depth * (open.size() + 5));
    tail.reserve(depth * (close.size() + 1));
    for (std::size_t d = 0; d < depth; ++d) head.append(mixed && d % 2 == 1 ? std::string_view("[") : open);
    for (std::size_t d = depth; d-- > 0 && !unclosed;) tail.append(mixed && d % 2 == 1 ? std::string_view("]") : close);
    std::string value = head;
    value.append(text_, span.begin, span.end - span.begin);
    value.append(tail);
    return replace(span.begin, span.end, value);
  }

  bool nest_empty(const Span& span) {
    const std::size_t depth = rng_.log_uniform(2, std::min(kMaxNest, room() / 2 + 1));
    std::string value(depth, '[');
    value.append(depth, ']');
    return replace(span.begin, span.end, value);
  }

  bool number(const Span& span) {
    static constexpr std::string_view kJson[] = {"99999999999999999999",
                                                 "-9223372036854775809",
                                                 "9223372036854775808",
                                                 "9223372036854775807",
                                                 "-9223372036854775808",
                                                 "18446744073709551615",
                                                 "18446744073709551616",
                                                 "2147483648",
                                                 "-2147483649",
                                                 "4294967296",
                                                 "65536",
                                                 "-1",
                                                 "0",
                                                 "-0",
                                                 "-0.0",
                                                 "0.0",
                                                 "1e400",
                                                 "-1e400",
                                                 "1e-400",
                                                 "4.9e-324",
                                                 "2.2250738585072011e-308",
                                                 "1.7976931348623157e308",
                                                 "1.7976931348623159e308",
                                                 "1E+2147483648",
                                                 "1e-2147483649",
                                                 "123456789012345678901234567890.123456789",
                                                 "0.1",
                                                 "0.30000000000000004",
                                                 "1.5",
                                                 "1e2",
                                                 "100.0",
                                                 "1.0e0",
                                                 "0e0",
                                                 "00",
                                                 "01",
                                                 "1.",
                                                 ".5",
                                                 "+1",
                                                 "-",
                                                 "1e",
                                                 "NaN",
                                                 "Infinity",
                                                 "true",
                                                 "false",
                                                 "null"};
    static constexpr std::string_view kToml[] = {"99999999999999999999",
                                                 "-9223372036854775809",
                                                 "9223372036854775807",
                                                 "-9223372036854775808",
                                                 "0x7fffffffffffffff",
                                                 "0xffffffffffffffff",
                                                 "0o777777777777777777777777",
                                                 "0b1",
                                                 "1_000_000",
                                                 "1__0",
                                                 "inf",
                                                 "-inf",
                                                 "+inf",
                                                 "nan",
                                                 "-nan",
                                                 "1e400",
                                                 "1e-400",
                                                 "-0",
                                                 "-0.0",
                                                 "0.1",
                                                 "1e2",
                                                 "00",
                                                 "+1",
                                                 "65536",
                                                 "4294967296",
                                                 "2147483648",
                                                 "-1",
                                                 "0",
                                                 "true",
                                                 "false",
                                                 "1979-05-27T07:32:00Z",
                                                 "1979-05-27T00:32:00.999999-07:00",
                                                 "1979-05-27",
                                                 "07:32:00",
                                                 "9999-12-31T23:59:60Z",
                                                 "0000-00-00"};
    std::string_view n = dialect_ == Dialect::toml ? rng_.pick(kToml) : rng_.pick(kJson);
    if (rng_.percent(10)) {  // a very long number
      std::string big = rng_.percent(50) ? "1" : "-0.";
      big.append(rng_.log_uniform(20, std::max<std::size_t>(20, std::min<std::size_t>(4096, room()))), '9');
      return replace(span.begin, span.end, big);
    }
    return replace(span.begin, span.end, n);
  }

  std::string repeated(std::string_view unit, std::size_t bytes) {
    std::string out;
    if (unit.empty()) return out;
    out.reserve(bytes);
    while (out.size() + unit.size() <= bytes) out.append(unit);
    return out;
  }

  bool long_string(const Span& span) {
    static constexpr std::string_view kUnits[] = {
        "A",   "a", " ", "\\\\", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9", "\xf0\x9f\x98\x80",
        "\\n", "/", "%", "0"};
    const std::size_t bytes =
        rng_.log_uniform(16, std::max<std::size_t>(16, std::min<std::size_t>(128 * 1024, room())));
    std::string unit(rng_.pick(kUnits));
    if (dialect_ == Dialect::toml && unit.starts_with("\\u")) unit = "\\u00E9";
    std::string value = "\"" + repeated(unit, bytes) + "\"";
    return replace(span.begin, span.end, value);
  }

  bool bad_utf8(const Span& span) {
    static constexpr std::string_view kBad[] = {"\xff",
                                                "\xfe",
                                                "\x80",
                                                "\xbf",
                                                "\xc0\x80",
                                                "\xc1\xbf",
                                                "\xe0\x80\x80",
                                                "\xed\xa0\x80",
                                                "\xed\xbf\xbf",
                                                "\xf4\x90\x80\x80",
                                                "\xf5\x80\x80\x80",
                                                "\xf8\x88\x80\x80\x80",
                                                "\xc3",
                                                "\xe2\x82",
                                                "\xf0\x9f\x98",
                                                "\\ud800",
                                                "\\udc00",
                                                "\\udfff",
                                                "\\ud800\\u0041",
                                                "\\ud83d",
                                                "\\ude00\\ud83d",
                                                "\\u0000",
                                                "\\uD800\\uD800",
                                                "\\u",
                                                "\\u12",
                                                "\\x41",
                                                "\\'",
                                                "\x00",
                                                "\x01",
                                                "\x7f",
                                                "\t",
                                                "\n"};
    std::string_view bad = rng_.pick(kBad);
    std::size_t at = span.begin + (span.end > span.begin + 1 ? 1 + rng_.below(span.end - span.begin - 1) : 0);
    if (span.kind != SpanKind::string && rng_.percent(50)) {  // make it a string first
      std::string value = "\"";
      value.append(bad);
      value.push_back('"');
      return replace(span.begin, span.end, value);
    }
    return replace(at, at, bad);
  }

  bool duplicate(const Span& span) {
    if (dialect_ == Dialect::toml) {  // repeat a line
      std::size_t begin = text_.rfind('\n', span.begin);
      begin = begin == std::string::npos ? 0 : begin + 1;
      std::size_t end = text_.find('\n', span.begin);
      end = end == std::string::npos ? text_.size() : end + 1;
      std::string line = text_.substr(begin, end - begin);
      if (line.empty() || line.back() != '\n') line.push_back('\n');
      std::size_t times = rng_.percent(80) ? 1 : rng_.log_uniform(2, 1000);
      if (line.size() * times > room()) times = room() / line.size();  // built only if it fits
      if (times == 0) return false;
      return replace(end, end, repeated(line, line.size() * times));
    }
    // A key is a string followed by ':'; repeat "key":value after the value.
    if (span.kind != SpanKind::string) return false;
    std::size_t colon = span.end;
    while (colon < text_.size() && std::isspace(static_cast<unsigned char>(text_[colon]))) ++colon;
    if (colon >= text_.size() || text_[colon] != ':') return false;
    thread_local std::vector<Span> spans;
    find_spans(std::string_view(text_).substr(colon + 1), dialect_, spans);
    if (spans.empty()) return false;
    const std::size_t value_end = colon + 1 + spans.front().end;
    std::string member = "," + text_.substr(span.begin, value_end - span.begin);
    std::size_t times = rng_.percent(80) ? 1 : rng_.log_uniform(2, 10000);
    if (member.size() * times > room()) times = room() / member.size();  // built only if it fits
    if (times == 0) return false;
    return replace(value_end, value_end, repeated(member, member.size() * times));
  }

  bool swap_type(const Span& span, const std::vector<Span>& spans) {
    static constexpr std::string_view kJson[] = {"null",  "true", "0",      "\"\"",
                                                 "[]",    "{}",   "[null]", "{\"\":0}",
                                                 "\"x\"", "-1",   "[{}]",   "\"1970-01-01T00:00:00Z\""};
    static constexpr std::string_view kToml[] = {"true",    "0",        "\"\"",      "''",         "[]",
                                                 "{}",      "[1, 'a']", "{ a = 1 }", "1979-05-27", "\"\"\"\n\"\"\"",
                                                 "'''x'''", "0.5"};
    if (rng_.percent(50)) {  // another value of the input
      const Span& other = spans[rng_.below(spans.size())];
      if (other.end - other.begin > room() + (span.end - span.begin)) return false;
      std::string value = text_.substr(other.begin, other.end - other.begin);
      return replace(span.begin, span.end, value);
    }
    return replace(span.begin, span.end, dialect_ == Dialect::toml ? rng_.pick(kToml) : rng_.pick(kJson));
  }

  bool truncate(const Span& span) {
    std::size_t at = span.begin + rng_.below(span.end - span.begin + 1);
    if (at >= text_.size()) return false;
    text_.resize(at);
    return true;
  }

  /// A fragment at a random position: what a lexer without spans still trips over.
  bool insert_fragment() {
    static constexpr std::string_view kJson[] = {
        "[", "]", "{", "}", ",", ":", "\"", "\\", "\"\":", ",\"a\":1", "\xef\xbb\xbf", " ", "\r\n", "/*", "//", "\x00"};
    static constexpr std::string_view kToml[] = {"[",  "]",      "[[",          "]]",      "=",       "\"",
                                                 "'",  "\"\"\"", "'''",         "#",       "\n",      "\r\n",
                                                 "\\", ".",      "a.b.c = 1\n", "[a.b]\n", "[[x]]\n", "\xef\xbb\xbf"};
    std::string_view f = dialect_ == Dialect::toml ? rng_.pick(kToml) : rng_.pick(kJson);
    std::size_t at = rng_.below(text_.size() + 1);
    return replace(at, at, f);
  }

  // ---- HTTP ----

  struct Line {
    std::size_t begin, end;  // without the line ending
  };

  std::vector<Line> lines() const {
    std::vector<Line> out;
    std::size_t begin = 0;
    while (begin < text_.size()) {
      std::size_t nl = text_.find('\n', begin);
      std::size_t end = nl == std::string::npos ? text_.size() : nl;
      std::size_t content_end = end > begin && text_[end - 1] == '\r' ? end - 1 : end;
      out.push_back({begin, content_end});
      if (nl == std::string::npos) break;
      begin = nl + 1;
    }
    return out;
  }

  bool http() {
    auto all = lines();
    if (all.empty()) return insert_http_fragment();
    const Line line = all[rng_.below(all.size())];
    switch (rng_.below(9)) {
      case 0: {  // repeat a line many times
        std::string l = text_.substr(line.begin, line.end - line.begin) + "\r\n";
        std::size_t times =
            rng_.log_uniform(1, std::max<std::size_t>(1, std::min<std::size_t>(5000, room() / l.size())));
        return replace(line.begin, line.begin, repeated(l, l.size() * times));
      }
      case 1: {  // grow a value (header value or target) around the 16 KiB header limit
        static constexpr std::string_view kUnits[] = {"A", ",", " ", "ocpp1.6,", "%41", "\t", "=", "/", "\xc3\xa9"};
        std::size_t bytes = rng_.percent(50) ? 16 * 1024 - 64 + rng_.below(128) : rng_.log_uniform(16, 64 * 1024);
        bytes = std::min(bytes, room());
        std::size_t at = line.begin + rng_.below(line.end - line.begin + 1);
        return replace(at, at, repeated(rng_.pick(kUnits), bytes));
      }
      case 2: {  // percent escapes in the target
        static constexpr std::string_view kEsc[] = {"%",   "%2", "%2F",    "%2f",  "%00",       "%0a", "%7F",
                                                    "%zz", "%%", "%C3%A9", "%FF",  "%ED%A0%80", "?",   "?a=b",
                                                    "#",   "/",  "//",     "/../", "%3F"};
        std::size_t at = line.begin + rng_.below(line.end - line.begin + 1);
        return replace(at, at, rng_.pick(kEsc));
      }
      case 3: {
        static constexpr std::string_view kBad[] = {"\xff", "\x80", "\xc0\x80", "\xed\xa0\x80",    "\x00", "\x7f", "\r",
                                                    "\n",   "\t",   "\x01",     "\xf4\x90\x80\x80"};
        std::size_t at = line.begin + rng_.below(line.end - line.begin + 1);
        return replace(at, at, rng_.pick(kBad));
      }
      case 4: {  // line ending variants
        static constexpr std::string_view kEnd[] = {"\n", "\r", "\r\r\n", "\r\n ", "\r\n\t", "", "\r\n\r\n"};
        std::size_t end = line.end;
        std::size_t nl_end = end;
        if (nl_end < text_.size() && text_[nl_end] == '\r') ++nl_end;
        if (nl_end < text_.size() && text_[nl_end] == '\n') ++nl_end;
        return replace(end, nl_end, rng_.pick(kEnd));
      }
      case 5: {  // credentials noise
        static constexpr std::string_view kAuth[] = {
            "Authorization: Basic \r\n",         "Authorization: Basic =\r\n",
            "Authorization: Basic ====\r\n",     "Authorization: Basic Q1M=\r\n",
            "Authorization: basic OjpA\r\n",     "Authorization: Basic A\r\n",
            "Authorization: Basic QUJDOg==\r\n", "Authorization: Bearer x\r\n",
            "Authorization: BASIC\tOg\r\n",      "Authorization: Basic Q1MxOnNlY3JldA===\r\n",
            "Authorization: Basic //79/A==\r\n"};
        return replace(line.begin, line.begin, rng_.pick(kAuth));
      }
      case 6: {  // a header the parser treats specially
        static constexpr std::string_view kHeaders[] = {"Content-Length: 5\r\n",
                                                        "Content-Length: 99999999999999999999\r\n",
                                                        "Content-Length: -1\r\n",
                                                        "Transfer-Encoding: chunked\r\n",
                                                        "Transfer-Encoding: gzip, chunked\r\n",
                                                        "Connection: close\r\n",
                                                        "Connection: keep-alive, Upgrade\r\n",
                                                        "Upgrade: websocket, h2c\r\n",
                                                        "Sec-WebSocket-Version: 12\r\n",
                                                        "Sec-WebSocket-Protocol: ,,, ,\r\n",
                                                        "Sec-WebSocket-Protocol: ocpp2.0.1, ocpp1.6\r\n",
                                                        "Sec-WebSocket-Protocol:\r\n",
                                                        "X-Forwarded-Proto: https\r\n",
                                                        ": empty name\r\n",
                                                        "No-Colon\r\n",
                                                        "Bad Name: x\r\n",
                                                        " folded\r\n",
                                                        "Host:\r\n"};
        return replace(line.begin, line.begin, rng_.pick(kHeaders));
      }
      case 7: {  // cut
        std::size_t at = rng_.below(text_.size() + 1);
        text_.resize(at);
        return true;
      }
      default: return insert_http_fragment();
    }
  }

  bool insert_http_fragment() {
    static constexpr std::string_view kFrag[] = {
        "GET /ws/CS1 HTTP/1.1\r\n", "\r\n", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1", "GET ", "POST ", "CONNECT ", "* ",
        "http://h/ws/x ",           ": ",   "\r\n\r\n"};
    std::size_t at = rng_.below(text_.size() + 1);
    return replace(at, at, rng_.pick(kFrag));
  }

  Dialect dialect_;
  std::string& text_;
  std::size_t max_size_;
  Rng& rng_;
};

/// EVBROKER_FUZZ_STRUCTURED=<percent> overrides kStructuredPercent (0: libFuzzer's mutations only,
/// to compare).
inline unsigned structured_percent() {
  static const unsigned percent = [] {
    const char* env = std::getenv("EVBROKER_FUZZ_STRUCTURED");
    return env != nullptr && *env != '\0' ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : kStructuredPercent;
  }();
  return percent;
}

inline std::size_t mutate(Dialect dialect, std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed) {
  Rng rng(seed);
  if (!rng.percent(structured_percent())) return LLVMFuzzerMutate(data, size, max_size);
  thread_local std::string text;
  text.assign(reinterpret_cast<const char*>(data), size);
  Mutator mutator(dialect, text, max_size, rng);
  bool changed = mutator.run();
  // Sometimes stack a second mutation (a long string inside a deep nest, ...).
  if (changed && rng.percent(20)) mutator.run();
  if (!changed || text.size() > max_size || text.empty()) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

}  // namespace evbroker::fuzz

#define EVBROKER_FUZZ_CUSTOM_MUTATOR(dialect)                                                                \
  extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size, \
                                                 unsigned int seed) {                                        \
    return evbroker::fuzz::mutate(dialect, data, size, max_size, seed);                                      \
  }
