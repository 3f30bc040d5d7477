#pragma once
// Small helpers for writing and reading the node's JSON records (records.cpp,
// pnc/certificate_records.cpp): members written with a running "first" flag so optional ones can be
// left out, and typed reads that treat a missing or damaged value as absent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "protocol/json_writer.hpp"

namespace evbroker::actors::record_json {

/// Writes `"name":` after a comma unless it is the object's first member.
void key(ocpp::JsonWriter& w, std::string_view name, bool& first);
void string_member(ocpp::JsonWriter& w, std::string_view name, std::string_view value, bool& first);
/// A time in milliseconds since the epoch as an RFC 3339 string; left out when 0 (not known).
void time_member(ocpp::JsonWriter& w, std::string_view name, std::int64_t ms, bool& first);
/// A member whose value is JSON text already checked (a station's payload), written as it is; an
/// empty one as null, so that the record stays JSON.
void json_member(ocpp::JsonWriter& w, std::string_view name, std::string_view json, bool& first);

/// The member as milliseconds since the epoch; 0 when absent or not a date-time.
std::int64_t parse_time(const simdjson::dom::object& o, std::string_view name);
/// The member as compact JSON text; "" when absent or null (what json_member writes for "").
std::string parse_json(const simdjson::dom::object& o, std::string_view name);
/// `text` as a JSON object (thread-local parser: valid until the next parse on this thread).
std::optional<simdjson::dom::object> parse_object(std::string_view text);

}  // namespace evbroker::actors::record_json
