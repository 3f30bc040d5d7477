#include "protocol/decode.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "protocol/detail/padded_parser.hpp"
#include "protocol/json_check.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/utf8.hpp"

namespace evbroker::ocpp {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Turns a simdjson error met while reading a value of `expected` type into our error kinds. A
/// number simdjson cannot represent is valid JSON of the wrong range; NUMBER_ERROR also covers
/// malformed numbers, which decode_document tells apart by checking the whole text.
bool fail_read(simdjson::error_code err, std::string_view expected, DecodeContext& ctx) {
  if (err == simdjson::INCORRECT_TYPE) return ctx.fail(DecodeErrc::wrong_type, "expected " + std::string(expected));
  if (err == simdjson::NUMBER_OUT_OF_RANGE || err == simdjson::NUMBER_ERROR)
    return ctx.fail(DecodeErrc::integer_out_of_range, "number does not fit the " + std::string(expected) + " type");
  return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
}

bool is_absolute_uri(std::string_view s) noexcept {
  // RFC 3986: scheme ":" hier-part, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
  auto colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  }
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
        c == '|' || c == '}')
      return false;
  return true;
}

bool is_json_space(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/// The text of a string value. Strings without escapes (nearly all of them in OCPP) are read
/// straight from the input, which simdjson's first stage has already checked for valid UTF-8 and
/// unescaped control characters; only strings with a backslash go through simdjson's unescaping.
/// A token runs to the next structural character, so it ends with the closing quote plus any
/// whitespace. The value is left unconsumed in the fast case: on-demand iteration skips it.
bool read_text(json::value& v, std::string_view& out, std::string_view expected, DecodeContext& ctx) {
  std::string_view token = v.raw_json_token();
  std::size_t end = token.size();
  while (end > 1 && is_json_space(token[end - 1])) --end;
  if (end >= 2 && token.front() == '"' && token[end - 1] == '"') {
    std::string_view text = token.substr(1, end - 2);
    if (std::memchr(text.data(), '\\', text.size()) == nullptr) {
      out = text;
      return true;
    }
  }
  if (auto err = v.get_string().get(out)) return fail_read(err, expected, ctx);
  return true;
}

std::string format_number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

bool is_integer_token(std::string_view token) noexcept { return token.find_first_of(".eE") == std::string_view::npos; }

/// Re-encodes any JSON value compactly while validating every token (ondemand checks lazily).
/// `level` is the nesting level of `v` if it is a container; it is checked against the limit before
/// anything inside is read, so the recursion is bounded by the limit, not by the input.
bool copy_any(json::value& v, JsonWriter& out, DecodeContext& ctx, std::size_t level) {
  json::json_type type;
  if (auto err = v.type().get(type)) return fail_read(err, "a JSON value", ctx);
  const bool container = type == json::json_type::object || type == json::json_type::array;
  if (container && ctx.max_depth() != 0 && level > ctx.max_depth())
    return ctx.fail(DecodeErrc::too_deep,
                    "objects and arrays nested deeper than " + std::to_string(ctx.max_depth()) + " levels");
  switch (type) {
    case json::json_type::object: {
      json::object obj;
      if (auto err = v.get_object().get(obj)) return fail_read(err, "an object", ctx);
      out.raw('{');
      bool first = true;
      for (auto member : obj) {
        json::field field;
        std::string_view key;
        if (!read_member(member, field, ctx)) return false;
        if (auto err = field.unescaped_key().get(key)) return fail_read(err, "a key", ctx);
        if (!first) out.raw(',');
        first = false;
        out.string(key);
        out.raw(':');
        if (!copy_any(field.value(), out, ctx, level + 1)) return false;
      }
      out.raw('}');
      return true;
    }
    case json::json_type::array: {
      json::array arr;
      if (auto err = v.get_array().get(arr)) return fail_read(err, "an array", ctx);
      out.raw('[');
      bool first = true;
      for (auto element : arr) {
        json::value value;
        if (!read_array_element(element, value, ctx)) return false;
        if (!first) out.raw(',');
        first = false;
        if (!copy_any(value, out, ctx, level + 1)) return false;
      }
      out.raw(']');
      return true;
    }
    case json::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return fail_read(err, "a string", ctx);
      out.string(s);
      return true;
    }
    case json::json_type::number: {
      // Kept as written, but only if the node's own readers can read it back: the stored record
      // that holds it is parsed again later (an integer beyond 64 bits would make it unreadable).
      std::string_view token = trim(v.raw_json_token());
      if (is_integer_token(token)) {
        std::int64_t i;
        std::uint64_t u;
        if (v.get_int64().get(i) && v.get_uint64().get(u))
          return ctx.fail(DecodeErrc::integer_out_of_range,
                          "integer " + std::string(token.substr(0, 40)) + " does not fit in 64 bits");
      } else {
        double d;
        if (auto err = v.get_double().get(d)) return fail_read(err, "a number", ctx);
      }
      out.raw(token);
      return true;
    }
    case json::json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return fail_read(err, "a boolean", ctx);
      out.boolean(b);
      return true;
    }
    case json::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null)) return fail_read(err, "null", ctx);
      if (!is_null) return ctx.fail(DecodeErrc::invalid_json, "invalid literal");
      out.raw("null");
      return true;
    }
  }
  return ctx.fail(DecodeErrc::invalid_json, "unknown JSON value");
}

}  // namespace

// ---- the per-thread parser ---------------------------------------------------------------------

namespace detail {

simdjson::simdjson_result<json::document> PaddedParser::iterate(std::string_view text) {
  std::size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity_) {
    capacity_ = std::max(needed, capacity_ * 2);
    buffer_ = std::make_unique<char[]>(capacity_);
  }
  std::memcpy(buffer_.get(), text.data(), text.size());
  std::memset(buffer_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  return parser_.iterate(simdjson::padded_string_view(buffer_.get(), text.size(), capacity_));
}

PaddedParser& thread_parser() {
  thread_local PaddedParser parser;
  return parser;
}

}  // namespace detail

// ---- DecodeContext -----------------------------------------------------------------------------

std::string DecodeContext::pointer(std::string_view leaf) const {
  std::string p;
  auto append_key = [&p](std::string_view key) {
    p.push_back('/');
    for (char c : key) {
      if (c == '~')
        p.append("~0");
      else if (c == '/')
        p.append("~1");
      else
        p.push_back(c);
    }
  };
  for (std::size_t i = 0; i < std::min(depth_, kMaxDepth); ++i) {
    if (path_[i].index == kKey)
      append_key(path_[i].key);
    else
      p.append("/").append(std::to_string(path_[i].index));
  }
  if (!leaf.empty()) append_key(leaf);
  return p;
}

bool DecodeContext::fail(DecodeErrc code, std::string detail, std::string_view leaf) {
  error_ = DecodeError{code, pointer(leaf), std::move(detail)};
  return false;
}

bool DecodeContext::tolerate(DecodeErrc code, std::string detail, std::string_view leaf) {
  if (!tolerant_) return fail(code, std::move(detail), leaf);
  tolerated_.push_back(DecodeError{code, pointer(leaf), std::move(detail)});
  return true;
}

// ---- readers -----------------------------------------------------------------------------------

bool read_object(json::value& v, json::object& out, DecodeContext& ctx) {
  if (auto err = v.get_object().get(out)) return fail_read(err, "an object", ctx);
  return true;
}

bool read_array(json::value& v, json::array& out, DecodeContext& ctx) {
  if (auto err = v.get_array().get(out)) return fail_read(err, "an array", ctx);
  return true;
}

bool read_member(simdjson::simdjson_result<json::field>& member, json::field& field, DecodeContext& ctx) {
  if (auto err = std::move(member).get(field)) return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  return true;
}

bool match_escaped_key(json::field& field, PropertyLookup lookup, int& index, std::string_view& key,
                       DecodeContext& ctx) {
  if (auto err = field.unescaped_key().get(key))
    return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  // Property names are shorter than 64 characters; the lookup may read that far past the quote.
  constexpr std::size_t kLongestName = 64;
  index = -1;
  if (key.size() < kLongestName) {
    char buffer[2 * kLongestName] = {};
    std::memcpy(buffer, key.data(), key.size());
    buffer[key.size()] = '"';
    index = lookup(buffer);
  }
  return true;
}

bool read_array_element(simdjson::simdjson_result<json::value>& element, json::value& value, DecodeContext& ctx) {
  if (auto err = element.get(value)) return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  return true;
}

bool read_string(json::value& v, std::string& out, std::size_t max_length, DecodeContext& ctx) {
  std::string_view s;
  if (!read_text(v, s, "a string", ctx)) return false;
  out.assign(s);
  if (max_length != 0 && s.size() > max_length) {
    std::size_t length = count_code_points(s);
    if (length > max_length &&
        !ctx.tolerate(DecodeErrc::string_too_long,
                      "length " + std::to_string(length) + " exceeds maxLength " + std::to_string(max_length)))
      return false;
  }
  return true;
}

bool read_uri(json::value& v, std::string& out, std::size_t max_length, DecodeContext& ctx) {
  if (!read_string(v, out, max_length, ctx)) return false;
  if (is_absolute_uri(out)) return true;
  return ctx.tolerate(DecodeErrc::invalid_uri, "'" + out + "' is not an absolute URI");
}

bool read_integer(json::value& v, std::int64_t& out, DecodeContext& ctx) {
  auto err = v.get_int64().get(out);
  if (!err) [[likely]]
    return true;
  if (err != simdjson::INCORRECT_TYPE) return fail_read(err, "integer", ctx);
  // JSON Schema (draft 6 on) counts 1.0 as an integer; anything else that is not an integer is a
  // type violation.
  double d;
  if (v.get_double().get(d)) return ctx.fail(DecodeErrc::wrong_type, "expected an integer");
  if (std::trunc(d) != d) return ctx.fail(DecodeErrc::wrong_type, "expected an integer, got " + format_number(d));
  if (d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
    return ctx.fail(DecodeErrc::integer_out_of_range, "number does not fit the integer type");
  out = static_cast<std::int64_t>(d);
  return true;
}

bool read_number(json::value& v, double& out, DecodeContext& ctx) {
  if (auto err = v.get_double().get(out)) return fail_read(err, "a number", ctx);
  return true;
}

bool read_boolean(json::value& v, bool& out, DecodeContext& ctx) {
  if (auto err = v.get_bool().get(out)) return fail_read(err, "a boolean", ctx);
  return true;
}

bool read_date_time(json::value& v, DateTime& out, DecodeContext& ctx) {
  std::string_view s;
  if (!read_text(v, s, "a date-time string", ctx)) return false;
  if (auto t = DateTime::parse(s)) [[likely]] {
    out = *t;
    return true;
  }
  std::string detail = "'" + std::string(s) + "' is not an RFC 3339 date-time";
  auto lenient = DateTime::parse(s, /*lenient=*/true);
  if (!lenient) return ctx.fail(DecodeErrc::invalid_date_time, std::move(detail));
  out = *lenient;
  return ctx.tolerate(DecodeErrc::invalid_date_time, std::move(detail));
}

bool read_any(json::value& v, AnyJson& out, DecodeContext& ctx) {
  out.json.clear();
  JsonWriter w(out.json);
  return copy_any(v, w, ctx, ctx.depth() + 1);
}

bool read_enum_text(json::value& v, std::string_view& out, DecodeContext& ctx) {
  return read_text(v, out, "a string", ctx);
}

bool check_minimum(double value, double minimum, DecodeContext& ctx) {
  if (value >= minimum) return true;
  return ctx.fail(DecodeErrc::below_minimum, format_number(value) + " is less than minimum " + format_number(minimum));
}

bool check_maximum(double value, double maximum, DecodeContext& ctx) {
  if (value <= maximum) return true;
  return ctx.fail(DecodeErrc::above_maximum,
                  format_number(value) + " is greater than maximum " + format_number(maximum));
}

bool check_multiple_of(double value, double factor, DecodeContext& ctx) {
  // Decimal factors such as 0.1 have no exact binary form: compare the quotient with a tolerance.
  double q = value / factor;
  if (std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q))) return true;
  return ctx.fail(DecodeErrc::not_multiple_of, format_number(value) + " is not a multiple of " + format_number(factor));
}

bool check_max_items(std::size_t count, std::size_t max_items, DecodeContext& ctx) {
  if (count <= max_items) return true;
  return ctx.fail(DecodeErrc::too_many_items, "more than maxItems " + std::to_string(max_items) + " items");
}

bool check_min_items(std::size_t count, std::size_t min_items, DecodeContext& ctx) {
  if (count >= min_items) return true;
  return ctx.fail(DecodeErrc::too_few_items,
                  std::to_string(count) + " items, fewer than minItems " + std::to_string(min_items));
}

bool duplicate_property(std::string_view key, DecodeContext& ctx) {
  return ctx.fail(DecodeErrc::duplicate_property, "property appears more than once", key);
}

bool unknown_property(std::string_view key, DecodeContext& ctx) {
  return ctx.tolerate(DecodeErrc::unknown_property, "property is not defined by the schema", key);
}

bool keep_extra_member(std::string_view key, json::value& v, ExtraMembers& out, DecodeContext& ctx) {
  std::string name(key);  // the key view dies when the value is read
  PathScope at(ctx, name);
  JsonWriter w(out.json);
  if (!out.json.empty()) w.raw(',');
  w.string(name);
  w.raw(':');
  return copy_any(v, w, ctx, ctx.depth() + 1);
}

bool missing_required(std::uint64_t seen, std::uint64_t required, const std::string_view* names, DecodeContext& ctx) {
  std::uint64_t missing = required & ~seen;
  int bit = std::countr_zero(missing);
  return ctx.fail(DecodeErrc::missing_property, "required property is missing", names[bit]);
}

std::string invalid_enum_detail(std::string_view text, std::string_view enum_name) {
  std::string detail = "'";
  detail.append(text).append("' is not a valid ").append(enum_name);
  return detail;
}

namespace {

/// Runs the on-demand decode; the caller settles what a failure means.
bool decode_on_demand(std::string_view text, RootDecoder decode_root, void* out, DecodeContext& ctx) {
  json::document doc;
  if (auto err = detail::thread_parser().iterate(text).get(doc))
    return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  json::json_type type;
  if (auto err = doc.type().get(type)) return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  if (type != json::json_type::object) return ctx.fail(DecodeErrc::wrong_type, "the payload must be a JSON object");
  json::value root;
  if (auto err = doc.get_value().get(root)) return ctx.fail(DecodeErrc::invalid_json, simdjson::error_message(err));
  if (!decode_root(root, out, ctx)) return false;
  // OUT_OF_BOUNDS is simdjson's way of saying the iterator consumed every token.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return ctx.fail(DecodeErrc::invalid_json, "content after the payload object");
  return true;
}

}  // namespace

DecodeResult decode_document(std::string_view text, RootDecoder decode_root, void* out, const DecodeOptions& options) {
  DecodeContext ctx(options);
  auto whole_text_error = [&](const JsonCheckResult& check) {
    return DecodeError{check.status == JsonCheck::too_deep ? DecodeErrc::too_deep : DecodeErrc::invalid_json, "",
                       std::string(check.why) + " (at byte " + std::to_string(check.offset) + ")"};
  };
  // Tolerant decoding skips unknown members without reading them, so check everything up front.
  if (options.tolerant) {
    if (auto check = check_json(text, options.max_depth); !check) return Unexpected(whole_text_error(check));
  }
  if (decode_on_demand(text, decode_root, out, ctx)) return ctx.take_tolerated();
  // A schema violation found before a syntax error (or a nesting too deep) further on must not hide
  // it: the whole text decides what kind of failure this is.
  if (ctx.error().code != DecodeErrc::invalid_json && ctx.error().code != DecodeErrc::too_deep && !options.tolerant) {
    if (auto check = check_json(text, options.max_depth); !check) return Unexpected(whole_text_error(check));
  }
  return Unexpected(ctx.error());
}

std::string_view describe(DecodeErrc code) noexcept {
  switch (code) {
    case DecodeErrc::invalid_json: return "malformed JSON";
    case DecodeErrc::wrong_type: return "wrong type";
    case DecodeErrc::integer_out_of_range: return "number out of range";
    case DecodeErrc::missing_property: return "missing required property";
    case DecodeErrc::unknown_property: return "unknown property";
    case DecodeErrc::duplicate_property: return "duplicate property";
    case DecodeErrc::invalid_enum_value: return "invalid enum value";
    case DecodeErrc::string_too_long: return "string too long";
    case DecodeErrc::below_minimum: return "value below minimum";
    case DecodeErrc::above_maximum: return "value above maximum";
    case DecodeErrc::not_multiple_of: return "value not a multiple of the allowed step";
    case DecodeErrc::too_few_items: return "too few array items";
    case DecodeErrc::too_many_items: return "too many array items";
    case DecodeErrc::invalid_date_time: return "invalid date-time";
    case DecodeErrc::invalid_uri: return "invalid URI";
    case DecodeErrc::too_deep: return "nested too deep";
  }
  return "decode error";
}

std::string DecodeError::message() const {
  std::string m = pointer.empty() ? std::string("payload") : pointer;
  m.append(": ").append(describe(code));
  if (!detail.empty()) m.append(": ").append(detail);
  return m;
}

}  // namespace evbroker::ocpp
