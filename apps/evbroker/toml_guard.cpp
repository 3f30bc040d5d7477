#include "apps/evbroker/toml_guard.hpp"

#include <cstdint>
#include <cstdio>
#include <string_view>
#include <utility>

namespace evbroker::app {
namespace {

/// The code points toml++ 3.3.0 cannot classify (toml_guard.hpp).
bool trips_toml_whitespace_check(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) || (c >= 0xFB26 && c <= 0xFEFE);
}

/// The code point of the UTF-8 sequence at `at` and its length in bytes. A sequence that is not
/// well formed gives U+FFFD and length 1 (toml++ refuses it with its own message); overlong forms
/// decode to the value they spell, so they are judged as that code point.
std::pair<char32_t, std::size_t> code_point_at(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  const auto tail = [&](std::size_t i) { return (byte(at + i) & 0xC0u) == 0x80u; };
  const unsigned b0 = byte(at);
  if (b0 >= 0xC2 && b0 <= 0xDF && tail(1))
    return {static_cast<char32_t>(((b0 & 0x1Fu) << 6) | (byte(at + 1) & 0x3Fu)), 2};
  if (b0 >= 0xE0 && b0 <= 0xEF && tail(1) && tail(2))
    return {static_cast<char32_t>(((b0 & 0x0Fu) << 12) | ((byte(at + 1) & 0x3Fu) << 6) | (byte(at + 2) & 0x3Fu)), 3};
  if (b0 >= 0xF0 && b0 <= 0xF4 && tail(1) && tail(2) && tail(3))
    return {static_cast<char32_t>(((b0 & 0x07u) << 18) | ((byte(at + 1) & 0x3Fu) << 12) |
                                  ((byte(at + 2) & 0x3Fu) << 6) | (byte(at + 3) & 0x3Fu)),
            4};
  return {0xFFFD, 1};
}

std::string u_plus(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

/// Walks the text by TOML's lexical states: outside strings, a comment, or one of the four strings.
class Scanner {
 public:
  explicit Scanner(std::string& text) : text_(text) {}

  std::optional<TomlProblem> run() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      std::optional<TomlProblem> problem;
      if (c == '#') {
        blank_comment();
      } else if (starts_with("\"\"\"")) {
        problem = string_body("\"\"\"", /*escapes=*/true);
      } else if (starts_with("'''")) {
        problem = string_body("'''", /*escapes=*/false);
      } else if (c == '"') {
        problem = string_body("\"", /*escapes=*/true);
      } else if (c == '\'') {
        problem = string_body("'", /*escapes=*/false);
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        return at("non-ASCII character " + u_plus(code_point_at(text_, i_).first) +
                  " outside a string or comment (TOML allows only A-Z a-z 0-9 _ - in bare keys; quote the key or "
                  "the value)");
      } else {
        advance(1);
      }
      if (problem) return problem;
    }
    return std::nullopt;
  }

 private:
  bool starts_with(std::string_view s) const { return std::string_view(text_).substr(i_).starts_with(s); }

  void advance(std::size_t n) {
    for (; n > 0 && i_ < text_.size(); --n, ++i_) {
      if (text_[i_] == '\n') {
        ++line_;
        line_start_ = i_ + 1;
      }
    }
  }

  TomlProblem at(std::string why) const { return {line_, i_ - line_start_ + 1, std::move(why)}; }

  void blank_comment() {
    for (; i_ < text_.size() && text_[i_] != '\n'; ++i_)
      if (static_cast<unsigned char>(text_[i_]) >= 0x80) text_[i_] = ' ';
  }

  /// From the opening quote(s) past the closing ones. A one-line string also ends at the end of its
  /// line (unterminated: toml++ reports it); a multi-line one may end in two quotes of its own.
  std::optional<TomlProblem> string_body(std::string_view quote, bool escapes) {
    advance(quote.size());
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (escapes && c == '\\') {
        // An escape: an ASCII character after the backslash is part of it (\" does not end the
        // string); any other is judged below like the string's own characters.
        advance(i_ + 1 < text_.size() && static_cast<unsigned char>(text_[i_ + 1]) < 0x80 ? 2 : 1);
        continue;
      }
      if (starts_with(quote)) {
        advance(quote.size());
        if (quote.size() == 3)
          for (int extra = 0; extra < 2 && i_ < text_.size() && text_[i_] == quote[0]; ++extra) advance(1);
        return std::nullopt;
      }
      if (quote.size() == 1 && c == '\n') return std::nullopt;
      if (static_cast<unsigned char>(c) < 0x80) {
        advance(1);
        continue;
      }
      const auto [code_point, length] = code_point_at(text_, i_);
      if (trips_toml_whitespace_check(code_point))
        return at("character " + u_plus(code_point) +
                  " in a string: the TOML library of this build (toml++ 3.3.0) cannot read it safely; write it as "
                  "\\u" +
                  u_plus(code_point).substr(2) + " in a \"...\" string");
      advance(length);
    }
    return std::nullopt;
  }

  std::string& text_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace

std::optional<TomlProblem> make_readable_by_toml(std::string& text) { return Scanner(text).run(); }

}  // namespace evbroker::app
