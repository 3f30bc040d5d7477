#pragma once
// What the station actor hands back for a station's CALLRESULT, built in a test: the payload as
// sent and its decoding with the call's action (station_actor.cpp on_station_answer).

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "actors/core/messages.hpp"

namespace evbroker::actors::test {

inline CsmsCallResult answered(const CsmsCall& call, std::string_view payload) {
  auto decoded = ocpp::decode_response(call.action, payload);
  REQUIRE(decoded.has_value());
  CsmsCallResult result;
  result.kind = CsmsCallResult::Kind::result;
  result.payload = std::string(payload);
  result.response = std::move(*decoded);
  result.sent = true;
  return result;
}

}  // namespace evbroker::actors::test
