#pragma once
// Sending one CSMS call to a connected station on behalf of an API request, and turning what became
// of it into the HTTP answer: shared by call/{Action}, trigger and the certificate endpoints, so
// that all of them answer with the same codes (docs/api.md "Any command to any station").

#include <optional>
#include <string>
#include <string_view>

#include "actors/api/api_support.hpp"

namespace evbroker::actors::api {

/// What became of a call as the HTTP answer: 200 with the station's CALLRESULT payload, 502 with its
/// CALLERROR or a broken answer, 409 when it went away or its registration does not allow the call,
/// 503 when its queue is full, 504 on timeout.
transport::HttpResponse call_result_response(const CsmsCallResult& result);

/// The connected station, or an answer: 404 when unknown, 409 when not connected.
std::optional<StationDirectory::Entry> connected_station(Request& r, const std::string& id);

/// Validates `payload` as the request of `action_name` in the station's version and sends it;
/// answers 400 when it does not validate, else 200 with the station's CALLRESULT payload, 502 with
/// its CALLERROR or a broken answer, 409 when it went away, 503 when its queue is full, 504 on timeout.
void validate_and_send(Request& r, const StationDirectory::Entry& station, std::string_view action_name,
                       std::string_view payload);

}  // namespace evbroker::actors::api
