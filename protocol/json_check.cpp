#include "protocol/json_check.hpp"

#include <simdjson.h>

#include <bitset>

namespace evbroker::ocpp {
namespace {

/// The deepest nesting the checker can track; a larger (or no) limit is held to this one.
constexpr std::size_t kDeepestTracked = 4096;

class Checker {
 public:
  Checker(std::string_view text, std::size_t max_depth) noexcept
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth == 0 || max_depth > kDeepestTracked ? kDeepestTracked : max_depth) {}

  JsonCheckResult run() noexcept {
    skip_space();
    // One loop over the values of the document; containers are a bit stack (1 = object), so the
    // input's nesting never becomes recursion.
    for (;;) {
      const Step step = value();
      if (step == Step::failed) return result_;
      if (step == Step::opened) continue;  // the container's first value comes next
      for (;;) {                           // after a value: close containers, or go on to the next member / element
        skip_space();
        if (depth_ == 0) {
          if (p_ != end_) return fail(JsonCheck::malformed, "content after the JSON value");
          return result_;
        }
        const bool in_object = kinds_[depth_ - 1];
        if (p_ == end_) return fail(JsonCheck::malformed, "unexpected end of the text");
        const char c = *p_++;
        if (c == (in_object ? '}' : ']')) {
          --depth_;
          continue;
        }
        if (c != ',') return fail(JsonCheck::malformed, in_object ? "expected ',' or '}'" : "expected ',' or ']'");
        skip_space();
        if (in_object && !member_key()) return result_;
        break;  // the next value
      }
    }
  }

 private:
  JsonCheckResult fail(JsonCheck status, std::string_view why) noexcept {
    result_ = {status, why, static_cast<std::size_t>(p_ - begin_)};
    return result_;
  }
  bool failed(JsonCheck status, std::string_view why) noexcept {
    fail(status, why);
    return false;
  }

  void skip_space() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  enum class Step { failed, done, opened };
  static Step step_of(bool ok) noexcept { return ok ? Step::done : Step::failed; }

  /// One value. A non-empty container is only opened (and its first member key read): the caller
  /// reads its values in turn.
  Step value() noexcept {
    if (p_ == end_) return step_of(failed(JsonCheck::malformed, "expected a JSON value"));
    switch (*p_) {
      case '{':
      case '[': {
        const bool object = *p_ == '{';
        if (depth_ >= max_depth_) return step_of(failed(JsonCheck::too_deep, "nested deeper than the limit"));
        ++p_;
        kinds_[depth_++] = object;
        skip_space();
        if (p_ != end_ && *p_ == (object ? '}' : ']')) {
          ++p_;
          --depth_;
          return Step::done;
        }
        if (object && !member_key()) return Step::failed;
        return Step::opened;
      }
      case '"': return step_of(string());
      case 't': return step_of(literal("true"));
      case 'f': return step_of(literal("false"));
      case 'n': return step_of(literal("null"));
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return step_of(number());
        return step_of(failed(JsonCheck::malformed, "expected a JSON value"));
    }
  }

  /// `"key"` then ':' (and the space around it), positioned at the member's value.
  bool member_key() noexcept {
    if (p_ == end_ || *p_ != '"') return failed(JsonCheck::malformed, "expected a string key");
    if (!string()) return false;
    skip_space();
    if (p_ == end_ || *p_ != ':') return failed(JsonCheck::malformed, "expected ':'");
    ++p_;
    skip_space();
    return true;
  }

  bool literal(std::string_view word) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return failed(JsonCheck::malformed, "invalid literal");
    p_ += word.size();
    return true;
  }

  bool digits() noexcept {
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  /// RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? — of any magnitude.
  bool number() noexcept {
    if (*p_ == '-') ++p_;
    if (p_ == end_) return failed(JsonCheck::malformed, "invalid number");
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return failed(JsonCheck::malformed, "invalid number");
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return failed(JsonCheck::malformed, "invalid number: no digits after '.'");
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return failed(JsonCheck::malformed, "invalid number: no digits in the exponent");
    }
    return true;
  }

  int hex_digit(char c) const noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /// After "\u": four hex digits. -1 when malformed.
  int code_unit() noexcept {
    if (end_ - p_ < 4) return -1;
    int unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_digit(*p_++);
      if (d < 0) return -1;
      unit = unit * 16 + d;
    }
    return unit;
  }

  /// A string, from its opening quote. UTF-8 was validated for the whole text up front.
  bool string() noexcept {
    ++p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return failed(JsonCheck::malformed, "unescaped control character in a string");
      if (c != '\\') continue;
      if (p_ == end_) break;
      const char e = *p_++;
      if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') continue;
      if (e != 'u') return failed(JsonCheck::malformed, "invalid escape in a string");
      const int unit = code_unit();
      if (unit < 0) return failed(JsonCheck::malformed, "invalid \\u escape");
      if (unit >= 0xDC00 && unit <= 0xDFFF) return failed(JsonCheck::malformed, "unpaired surrogate in a \\u escape");
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
          return failed(JsonCheck::malformed, "unpaired surrogate in a \\u escape");
        p_ += 2;
        const int low = code_unit();
        if (low < 0xDC00 || low > 0xDFFF) return failed(JsonCheck::malformed, "unpaired surrogate in a \\u escape");
      }
    }
    return failed(JsonCheck::malformed, "unterminated string");
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::bitset<kDeepestTracked> kinds_;
  JsonCheckResult result_;
};

}  // namespace

JsonCheckResult check_json(std::string_view text, std::size_t max_depth) noexcept {
  if (!simdjson::validate_utf8(text.data(), text.size())) return {JsonCheck::malformed, "invalid UTF-8", 0};
  return Checker(text, max_depth).run();
}

}  // namespace evbroker::ocpp
