#pragma once
// The building blocks the generated decoders are made of: a context that tracks where in the
// payload we are (for JSON-pointer errors) and readers that check one JSON value against one schema
// keyword each. Everything here is strict by default; DecodeOptions::tolerant relaxes the checks
// listed in decode_error.hpp.
//
// Only generated code and tests include this header (it pulls in simdjson); users call the
// decode_request/decode_response functions of a version's actions.hpp.

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/date_time.hpp"
#include "protocol/decode_error.hpp"
#include "protocol/json_value.hpp"

namespace evbroker::ocpp {

namespace json = simdjson::ondemand;

class DecodeContext {
 public:
  /// Path segments kept for error pointers: deeper than any OCPP schema nests (the generator checks
  /// the schemas against it); below that, a pointer names the deepest segment kept.
  static constexpr std::size_t kMaxDepth = 48;

  explicit DecodeContext(const DecodeOptions& options) noexcept
      : tolerant_(options.tolerant), max_depth_(options.max_depth) {}

  bool tolerant() const noexcept { return tolerant_; }
  /// Path segments open now: a container entered at depth() is at nesting level depth() + 1.
  std::size_t depth() const noexcept { return depth_; }
  /// The nesting level allowed (DecodeOptions::max_depth; 0: no limit).
  std::size_t max_depth() const noexcept { return max_depth_; }

  void push(std::string_view key) noexcept { push_segment({key, kKey}); }
  void push(std::size_t index) noexcept { push_segment({{}, index}); }
  void pop() noexcept { --depth_; }

  /// Records a violation at the current path (plus `leaf`, a property name, when given).
  /// Always returns false so decoders can `return ctx.fail(...)`.
  bool fail(DecodeErrc code, std::string detail, std::string_view leaf = {});

  /// A violation that tolerant mode lets through: recorded as tolerated and returns true there;
  /// in strict mode the same as fail().
  bool tolerate(DecodeErrc code, std::string detail, std::string_view leaf = {});

  const DecodeError& error() const noexcept { return error_; }
  Tolerated take_tolerated() noexcept { return std::move(tolerated_); }

 private:
  static constexpr std::size_t kKey = static_cast<std::size_t>(-1);
  struct Segment {
    std::string_view key;
    std::size_t index;  // kKey when the segment is a property name
  };
  void push_segment(Segment s) noexcept {
    if (depth_ < kMaxDepth) path_[depth_] = s;
    ++depth_;
  }
  std::string pointer(std::string_view leaf) const;

  bool tolerant_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::array<Segment, kMaxDepth> path_;  // only [0, depth_) is meaningful: left uninitialised
  DecodeError error_;
  Tolerated tolerated_;
};

/// Pushes a path segment for the lifetime of the scope.
class PathScope {
 public:
  PathScope(DecodeContext& ctx, std::string_view key) noexcept : ctx_(ctx) { ctx.push(key); }
  PathScope(DecodeContext& ctx, std::size_t index) noexcept : ctx_(ctx) { ctx.push(index); }
  ~PathScope() { ctx_.pop(); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  DecodeContext& ctx_;
};

// ---- one JSON value against one schema type --------------------------------------------------
// Each reader returns false after recording the failure in ctx.

bool read_object(json::value& v, json::object& out, DecodeContext& ctx);
bool read_array(json::value& v, json::array& out, DecodeContext& ctx);
/// Advances to the next member of an object being iterated.
bool read_member(simdjson::simdjson_result<json::field>& member, json::field& field, DecodeContext& ctx);

/// Finds which property a key names. A generated lookup compares the raw key in the input (its
/// text followed by the closing quote) against `name"` literals, so keys are neither measured nor
/// copied. Returns the property index or -1.
using PropertyLookup = int (*)(const char* key_then_quote) noexcept;

/// For a key the raw lookup did not match: unescapes it (a key may be written with escapes) and
/// looks it up again. Sets `key` to the unescaped text, for error messages and extra members.
bool match_escaped_key(json::field& field, PropertyLookup lookup, int& index, std::string_view& key,
                       DecodeContext& ctx);
bool read_array_element(simdjson::simdjson_result<json::value>& element, json::value& value, DecodeContext& ctx);
/// `max_length` in Unicode code points; 0 means unbounded.
bool read_string(json::value& v, std::string& out, std::size_t max_length, DecodeContext& ctx);
bool read_uri(json::value& v, std::string& out, std::size_t max_length, DecodeContext& ctx);
bool read_integer(json::value& v, std::int64_t& out, DecodeContext& ctx);
bool read_number(json::value& v, double& out, DecodeContext& ctx);
bool read_boolean(json::value& v, bool& out, DecodeContext& ctx);
bool read_date_time(json::value& v, DateTime& out, DecodeContext& ctx);
/// Any JSON value, copied compactly; nested no deeper than ctx.max_depth() (counting the levels
/// above it: ctx.depth()), numbers within what the node can represent (64-bit integers, doubles).
bool read_any(json::value& v, AnyJson& out, DecodeContext& ctx);
/// The text of a string that must be an enum value; valid until the next read.
bool read_enum_text(json::value& v, std::string_view& out, DecodeContext& ctx);

bool check_minimum(double value, double minimum, DecodeContext& ctx);
bool check_maximum(double value, double maximum, DecodeContext& ctx);
bool check_multiple_of(double value, double factor, DecodeContext& ctx);
bool check_max_items(std::size_t count, std::size_t max_items, DecodeContext& ctx);
bool check_min_items(std::size_t count, std::size_t min_items, DecodeContext& ctx);

// ---- object-level rules ------------------------------------------------------------------------

[[gnu::cold]] bool duplicate_property(std::string_view key, DecodeContext& ctx);

/// Marks property `index` in `seen`; a property seen twice is a duplicate.
inline bool claim(std::uint64_t& seen, int index, const std::string_view* names, DecodeContext& ctx) {
  std::uint64_t bit = std::uint64_t{1} << index;
  if (seen & bit) [[unlikely]]
    return duplicate_property(names[index], ctx);
  seen |= bit;
  return true;
}
/// A property the schema does not define, in an object with additionalProperties: false.
bool unknown_property(std::string_view key, DecodeContext& ctx);
/// A property an open object keeps as an extra member.
bool keep_extra_member(std::string_view key, json::value& v, ExtraMembers& out, DecodeContext& ctx);
/// Fails naming the first required property (by bit order in `names`) missing from `seen`.
bool missing_required(std::uint64_t seen, std::uint64_t required, const std::string_view* names, DecodeContext& ctx);

std::string invalid_enum_detail(std::string_view text, std::string_view enum_name);

/// Enums: the generated `bool parse_enum(std::string_view, E&)` overload is found by ADL.
/// read_enum_text yields the string's text without copying it when it has no escapes.
template <class E>
bool read_enum(json::value& v, E& out, std::string_view enum_name, DecodeContext& ctx) {
  std::string_view text;
  if (!read_enum_text(v, text, ctx)) return false;
  if (parse_enum(text, out)) return true;
  return ctx.fail(DecodeErrc::invalid_enum_value, invalid_enum_detail(text, enum_name));
}

/// An optional enum property: in tolerant mode an unknown value leaves it empty.
template <class E>
bool read_optional_enum(json::value& v, std::optional<E>& out, std::string_view enum_name, DecodeContext& ctx) {
  std::string_view text;
  if (!read_enum_text(v, text, ctx)) return false;
  E value{};
  if (parse_enum(text, value)) {
    out = value;
    return true;
  }
  out.reset();
  return ctx.tolerate(DecodeErrc::invalid_enum_value, invalid_enum_detail(text, enum_name));
}

// ---- whole payloads ----------------------------------------------------------------------------

using RootDecoder = bool (*)(json::value& root, void* out, DecodeContext& ctx);

/// Parses `text` (copied into a padded per-thread buffer, so any string_view works) and runs
/// `decode_root` on its root value, which must be an object. Checks that nothing follows it.
DecodeResult decode_document(std::string_view text, RootDecoder decode_root, void* out, const DecodeOptions& options);

/// Decodes a payload into a generated message type (its `decode` overload is found by ADL).
template <class T>
DecodeResult decode_payload(std::string_view text, T& out, const DecodeOptions& options = {}) {
  out = T{};
  return decode_document(
      text, [](json::value& root, void* p, DecodeContext& ctx) { return decode(root, *static_cast<T*>(p), ctx); }, &out,
      options);
}

}  // namespace evbroker::ocpp
