#pragma once
// Reading the node's own JSON records and API bodies with simdjson's DOM (small documents, read
// once): typed getters that treat a missing or mistyped member as absent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace evbroker::actors::json {

/// A parser per thread: the DOM it returns lives until the next parse on the same thread.
simdjson::dom::parser& thread_parser();

std::optional<std::string> get_string(const simdjson::dom::object& o, std::string_view key);
std::optional<std::int64_t> get_int(const simdjson::dom::object& o, std::string_view key);
std::optional<double> get_number(const simdjson::dom::object& o, std::string_view key);
std::optional<bool> get_bool(const simdjson::dom::object& o, std::string_view key);
/// The member as compact JSON text ("" when absent).
std::string get_raw(const simdjson::dom::object& o, std::string_view key);

}  // namespace evbroker::actors::json
