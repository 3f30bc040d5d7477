#pragma once
// The checks the generated API body decoders (generated/api_bodies.cpp) are made of: each reads or
// checks one value and, when it does not hold, writes "<JSON pointer>: <what>" into `error` and
// returns false. The wording is the API's (docs/api.md "Errors"), shared by every body.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace evbroker::actors::api::body_read {

/// No maxLength / maxItems.
inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

/// Sets `error` to "<pointer>: <what>" ("body: <what>" for the body itself); returns false.
bool fail(std::string& error, std::string_view pointer, std::string_view what);
/// The JSON pointer (RFC 6901) of member `name` of the value at `at`: '~' and '/' escaped.
std::string member_pointer(std::string_view at, std::string_view name);
std::string item_pointer(std::string_view at, std::size_t index);

bool read_object(simdjson::dom::element e, std::string_view at, simdjson::dom::object& out, std::string& error);
bool read_array(simdjson::dom::element e, std::string_view at, simdjson::dom::array& out, std::string& error);
bool read_string(simdjson::dom::element e, std::string_view at, std::string& out, std::string& error);
bool read_integer(simdjson::dom::element e, std::string_view at, std::int64_t& out, std::string& error);
bool read_number(simdjson::dom::element e, std::string_view at, double& out, std::string& error);
bool read_bool(simdjson::dom::element e, std::string_view at, bool& out, std::string& error);
/// An RFC 3339 date-time, as milliseconds since the epoch.
bool read_date_time(simdjson::dom::element e, std::string_view at, std::int64_t& ms, std::string& error);
/// An RFC 3339 date-time, kept as it was written.
bool read_date_time_text(simdjson::dom::element e, std::string_view at, std::string& out, std::string& error);
/// Any value, kept as compact JSON text.
bool read_json_text(simdjson::dom::element e, std::string_view at, std::string& out, std::string& error);

/// minLength / maxLength, counted in Unicode code points as JSON Schema counts them.
bool check_length(std::string_view text, std::string_view at, std::size_t min, std::size_t max, std::string& error);
bool check_enum(std::string_view text, std::string_view at, std::span<const std::string_view> allowed,
                std::string& error);
bool check_range(std::int64_t value, std::string_view at, std::optional<std::int64_t> min,
                 std::optional<std::int64_t> max, std::string& error);
/// minItems / maxItems.
bool check_items(std::size_t count, std::string_view at, std::size_t min, std::size_t max, std::string& error);
/// minProperties.
bool check_members(std::size_t count, std::string_view at, std::size_t min, std::string& error);

}  // namespace evbroker::actors::api::body_read
