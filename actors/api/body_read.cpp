#include "actors/api/body_read.hpp"

#include "protocol/date_time.hpp"
#include "protocol/utf8.hpp"

namespace evbroker::actors::api::body_read {
namespace {

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

/// "N things", "MIN to MAX things", "at most MAX things" or "at least MIN things".
std::string bounds(std::size_t min, std::size_t max, std::string_view word) {
  if (min == max) return plural(min, word);
  if (max == kNoLimit) return "at least " + plural(min, word);
  if (min == 0) return "at most " + plural(max, word);
  return std::to_string(min) + " to " + plural(max, word);
}

}  // namespace

bool fail(std::string& error, std::string_view pointer, std::string_view what) {
  error = pointer.empty() ? std::string("body") : std::string(pointer);
  error.append(": ").append(what);
  return false;
}

std::string member_pointer(std::string_view at, std::string_view name) {
  std::string out(at);
  out.push_back('/');
  for (char c : name) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

std::string item_pointer(std::string_view at, std::size_t index) {
  return std::string(at) + "/" + std::to_string(index);
}

bool read_object(simdjson::dom::element e, std::string_view at, simdjson::dom::object& out, std::string& error) {
  return e.get(out) == simdjson::SUCCESS || fail(error, at, "expected an object");
}

bool read_array(simdjson::dom::element e, std::string_view at, simdjson::dom::array& out, std::string& error) {
  return e.get(out) == simdjson::SUCCESS || fail(error, at, "expected an array");
}

bool read_string(simdjson::dom::element e, std::string_view at, std::string& out, std::string& error) {
  std::string_view text;
  if (e.get(text) != simdjson::SUCCESS) return fail(error, at, "expected a string");
  out = text;
  return true;
}

bool read_integer(simdjson::dom::element e, std::string_view at, std::int64_t& out, std::string& error) {
  return e.get(out) == simdjson::SUCCESS || fail(error, at, "expected an integer");
}

bool read_number(simdjson::dom::element e, std::string_view at, double& out, std::string& error) {
  return e.get(out) == simdjson::SUCCESS || fail(error, at, "expected a number");
}

bool read_bool(simdjson::dom::element e, std::string_view at, bool& out, std::string& error) {
  return e.get(out) == simdjson::SUCCESS || fail(error, at, "expected true or false");
}

bool read_date_time(simdjson::dom::element e, std::string_view at, std::int64_t& ms, std::string& error) {
  std::string_view text;
  if (e.get(text) != simdjson::SUCCESS) return fail(error, at, "expected a string (an RFC 3339 date-time)");
  auto when = ocpp::DateTime::parse(text);
  if (!when) return fail(error, at, "expected an RFC 3339 date-time");
  ms = when->unix_ms();
  return true;
}

bool read_date_time_text(simdjson::dom::element e, std::string_view at, std::string& out, std::string& error) {
  std::int64_t ms = 0;
  if (!read_date_time(e, at, ms, error)) return false;
  return read_string(e, at, out, error);
}

bool read_json_text(simdjson::dom::element e, std::string_view, std::string& out, std::string&) {
  out = simdjson::minify(e);
  return true;
}

bool check_length(std::string_view text, std::string_view at, std::size_t min, std::size_t max, std::string& error) {
  const std::size_t n = ocpp::count_code_points(text);
  return (n >= min && n <= max) || fail(error, at, "expected " + bounds(min, max, "character"));
}

bool check_enum(std::string_view text, std::string_view at, std::span<const std::string_view> allowed,
                std::string& error) {
  std::string list;
  for (auto value : allowed) {
    if (text == value) return true;
    if (!list.empty()) list += ", ";
    list += value;
  }
  // The value given is named too (shortened: it comes from the client and may be long).
  const bool long_text = text.size() > 60;
  return fail(error, at,
              "expected one of " + list + ", got '" + std::string(text.substr(0, 60)) + (long_text ? "...'" : "'"));
}

bool check_range(std::int64_t value, std::string_view at, std::optional<std::int64_t> min,
                 std::optional<std::int64_t> max, std::string& error) {
  if (min && value < *min)
    return fail(error, at, "value " + std::to_string(value) + " below minimum " + std::to_string(*min));
  if (max && value > *max)
    return fail(error, at, "value " + std::to_string(value) + " above maximum " + std::to_string(*max));
  return true;
}

bool check_items(std::size_t count, std::string_view at, std::size_t min, std::size_t max, std::string& error) {
  return (count >= min && count <= max) || fail(error, at, "expected " + bounds(min, max, "item"));
}

bool check_members(std::size_t count, std::string_view at, std::size_t min, std::string& error) {
  return count >= min || fail(error, at, "expected " + bounds(min, kNoLimit, "member"));
}

}  // namespace evbroker::actors::api::body_read
