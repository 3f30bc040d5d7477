#pragma once
// The maintained MaEVe fork's API (docs/api.md "The maintained MaEVe fork's API"): what its
// handlers (api_maeve_*.cpp) share. Each command builds the OCPP request of the station's version
// from the fork's body and sends it the way call/{Action} does (station_call.hpp), so it is
// validated against the version's schema, queued behind other calls and answered with the same
// codes; the fork's 202 (sent, answer unknown) becomes 202 with the station's answer once it came.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "actors/api/api_support.hpp"
#include "actors/core/messages.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors::api::maeve {

/// A JSON object written member by member: Object().str("a", "x").num("b", 1).text().
class Object {
 public:
  Object& str(std::string_view name, std::string_view value);
  Object& num(std::string_view name, std::int64_t value);
  Object& real(std::string_view name, double value);
  Object& boolean(std::string_view name, bool value);
  /// A member whose value is JSON text already (an empty one is left out).
  Object& raw(std::string_view name, std::string_view json);
  Object& opt_str(std::string_view name, const std::optional<std::string>& value) {
    return value ? str(name, *value) : *this;
  }
  Object& opt_num(std::string_view name, const std::optional<std::int64_t>& value) {
    return value ? num(name, *value) : *this;
  }
  std::string text() const { return body_ + "}"; }

 private:
  void key(std::string_view name);
  std::string body_ = "{";
};

/// A JSON array of JSON texts.
std::string array(const std::vector<std::string>& items);
/// `text` as a JSON string.
std::string quoted(std::string_view text);

/// The station's answer (a CALLRESULT payload, parsed) turned into the body of the fork's answer.
using Mapper = std::function<std::string(simdjson::dom::element answer, std::string_view payload)>;

/// One CSMS call: the action (of the station's version) and its payload as JSON text.
struct Call {
  std::string action;
  std::string payload;
};

/// Validates `call` against the station's version and sends it; answers `status` with the
/// station's answer (as sent, or `map`ped), or the failure as call/{Action} does (400 when the
/// payload does not validate or the action is not of the station's version).
void send(Request& r, const StationDirectory::Entry& station, Call call, int status = 202, Mapper map = {});

/// Sends `calls` one after the other (the next once the previous was answered); answers `status`
/// with `combine` of their answers, or the first failure.
using Combine = std::function<std::string(const std::vector<std::string>& payloads)>;
void send_all(Request& r, const StationDirectory::Entry& station, std::vector<Call> calls, int status, Combine combine);

/// The body decoded with a generated decoder; answers 400 and gives nullopt when it is not.
template <class Decoder>
auto decode_body(Request& r, simdjson::dom::parser& parser, Decoder decoder)
    -> std::optional<std::decay_t<decltype(*decoder(std::declval<simdjson::dom::object>()))>> {
  auto body = parse_body(r, parser);
  if (!body) return std::nullopt;
  auto decoded = decoder(*body);
  if (!decoded) {
    r.respond(error_response(400, decoded.error()));
    return std::nullopt;
  }
  return std::move(*decoded);
}

/// An integer query parameter within [lo, hi]; nullopt when absent. On a bad value answers 400
/// and sets `bad`.
std::optional<std::int64_t> query_int(Request& r, std::string_view name, std::int64_t lo, std::int64_t hi, bool& bad);
/// An integer path segment; answers 400 and gives nullopt when it is not one.
std::optional<std::int64_t> path_int(Request& r, std::size_t segment, std::string_view name);

/// A request id for a call the fork's body gives none for (GetLog, UpdateFirmware, ...): the time
/// in seconds, below 2^31.
std::int64_t new_request_id(const Request& r);
/// A request id from the time in seconds that no other request of this process had.
std::int64_t unique_request_id(std::int64_t now_ms);

/// A 2.0.1 IdTokenType for a 1.6-style idTag: {"idToken": tag, "type": "Central"}.
std::string central_id_token(std::string_view id_tag);

/// The string member `name` of the JSON text `json`, if it is an object that has one.
std::optional<std::string> string_member(std::string_view json, std::string_view name);

/// "<version>" of the station, for messages.
std::string version_name(const StationDirectory::Entry& station);

}  // namespace evbroker::actors::api::maeve

namespace evbroker::actors::api::maeve {

/// The fork's ChargingProfile (1.6's ChargingProfile) as a 2.0.1 ChargingProfileType: id,
/// ChargePointMaxProfile -> ChargingStationMaxProfile, transactionId as text, the schedule as a
/// list of one (id 1). Whatever else it has is left for the 2.0.1 schema to refuse. Empty when
/// `profile` is not an object.
std::string profile_to_201(std::string_view profile);

}  // namespace evbroker::actors::api::maeve
