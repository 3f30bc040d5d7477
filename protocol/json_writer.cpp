#include "protocol/json_writer.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>

namespace evbroker::ocpp {
namespace {

constexpr bool needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

/// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length > 1 && (i + length > text.size() || !simdjson::validate_utf8(text.data() + i, length))) length = 0;
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace

void JsonWriter::string(std::string_view text) {
  std::string& out = *out_;
  const std::size_t start = out.size();
  out.push_back('"');
  std::size_t run_start = 0;
  unsigned char seen = 0;  // OR of every byte: ASCII text (nearly all of it) needs no UTF-8 check
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    seen |= c;
    if (!needs_escape(c)) continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
  if ((seen & 0x80) != 0 && !simdjson::validate_utf8(text.data(), text.size())) [[unlikely]] {
    out.resize(start);
    string(replace_invalid_utf8(text));
  }
}

void JsonWriter::integer(std::int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_->append(buf, static_cast<std::size_t>(end - buf));
}

void JsonWriter::number(double value) {
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_->append(buf, static_cast<std::size_t>(end - buf));
}

void JsonWriter::date_time(DateTime value) {
  char buf[DateTime::kTextLength + 2];
  buf[0] = '"';
  value.format(buf + 1);
  buf[DateTime::kTextLength + 1] = '"';
  out_->append(buf, sizeof buf);
}

}  // namespace evbroker::ocpp
