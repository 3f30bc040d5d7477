#include "actors/records/record_json.hpp"

#include "actors/records/json_read.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::record_json {

void key(ocpp::JsonWriter& w, std::string_view name, bool& first) {
  if (!first) w.raw(',');
  first = false;
  w.string(name);
  w.raw(':');
}

void string_member(ocpp::JsonWriter& w, std::string_view name, std::string_view value, bool& first) {
  key(w, name, first);
  w.string(value);
}

void time_member(ocpp::JsonWriter& w, std::string_view name, std::int64_t ms, bool& first) {
  if (ms == 0) return;
  key(w, name, first);
  w.date_time(ocpp::DateTime::from_unix_ms(ms));
}

void json_member(ocpp::JsonWriter& w, std::string_view name, std::string_view json, bool& first) {
  key(w, name, first);
  w.raw(json.empty() ? std::string_view{"null"} : json);
}

std::int64_t parse_time(const simdjson::dom::object& o, std::string_view name) {
  auto text = json::get_string(o, name);
  if (!text) return 0;
  auto t = ocpp::DateTime::parse(*text);
  return t ? t->unix_ms() : 0;
}

std::string parse_json(const simdjson::dom::object& o, std::string_view name) {
  auto text = json::get_raw(o, name);
  return text == "null" ? std::string() : text;
}

std::optional<simdjson::dom::object> parse_object(std::string_view text) {
  simdjson::dom::object o;
  if (json::thread_parser().parse(text.data(), text.size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  return o;
}

}  // namespace evbroker::actors::record_json
