#include "actors/records/json_read.hpp"

namespace evbroker::actors::json {

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::optional<std::string> get_string(const simdjson::dom::object& o, std::string_view key) {
  std::string_view v;
  if (o[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  return std::string(v);
}

std::optional<std::int64_t> get_int(const simdjson::dom::object& o, std::string_view key) {
  std::int64_t v = 0;
  if (o[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::optional<double> get_number(const simdjson::dom::object& o, std::string_view key) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return d;
  std::int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  std::uint64_t u = 0;
  if (e.get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  return std::nullopt;
}

std::optional<bool> get_bool(const simdjson::dom::object& o, std::string_view key) {
  bool v = false;
  if (o[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::string get_raw(const simdjson::dom::object& o, std::string_view key) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return {};
  return simdjson::minify(e);
}

}  // namespace evbroker::actors::json
