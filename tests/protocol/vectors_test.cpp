// Every request and response of every action of OCPP 1.6, 2.0.1 and 2.1, against payloads derived
// from the schemas by tools/ocpp_codegen/make_test_vectors.py:
//  - valid payloads decode, encode to the same JSON, and decode again to an equal value;
//  - each invalid payload fails with the exact error kind, JSON pointer and OCPP error code.

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <string>

#include "json_equal.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/ocpp21/actions.hpp"

namespace {

using namespace evbroker;

std::string_view errc_name(ocpp::DecodeErrc code) {
  switch (code) {
    case ocpp::DecodeErrc::invalid_json: return "invalid_json";
    case ocpp::DecodeErrc::wrong_type: return "wrong_type";
    case ocpp::DecodeErrc::integer_out_of_range: return "integer_out_of_range";
    case ocpp::DecodeErrc::missing_property: return "missing_property";
    case ocpp::DecodeErrc::unknown_property: return "unknown_property";
    case ocpp::DecodeErrc::duplicate_property: return "duplicate_property";
    case ocpp::DecodeErrc::invalid_enum_value: return "invalid_enum_value";
    case ocpp::DecodeErrc::string_too_long: return "string_too_long";
    case ocpp::DecodeErrc::below_minimum: return "below_minimum";
    case ocpp::DecodeErrc::above_maximum: return "above_maximum";
    case ocpp::DecodeErrc::not_multiple_of: return "not_multiple_of";
    case ocpp::DecodeErrc::too_few_items: return "too_few_items";
    case ocpp::DecodeErrc::too_many_items: return "too_many_items";
    case ocpp::DecodeErrc::invalid_date_time: return "invalid_date_time";
    case ocpp::DecodeErrc::invalid_uri: return "invalid_uri";
    case ocpp::DecodeErrc::too_deep: return "too_deep";
  }
  return "?";
}

struct Counts {
  std::size_t valid = 0, invalid = 0;
};

/// Decodes `payload` as the request or response of `action`, then checks what the case expects.
template <class Action, class Message, class Decode>
void check_case(Action action, Decode decode, std::string_view payload, simdjson::dom::element expect,
                ocpp::Version version, Counts& counts) {
  Message decoded;
  auto result = decode(action, payload, decoded, ocpp::DecodeOptions{});
  std::string_view expect_ok;
  if (!expect.get(expect_ok)) {
    ++counts.valid;
    INFO("error: " << (result ? std::string() : result.error().message()));
    REQUIRE(result.has_value());
    CHECK(result->empty());
    std::string encoded;
    ocpp::JsonWriter w(encoded);
    encode(w, decoded);
    INFO("encoded: " << encoded);
    CHECK(test::json_text_equal(encoded, payload));
    Message again;
    REQUIRE(decode(action, encoded, again, ocpp::DecodeOptions{}).has_value());
    CHECK(again == decoded);
    std::string encoded_again;
    ocpp::JsonWriter w2(encoded_again);
    encode(w2, again);
    CHECK(encoded_again == encoded);
    return;
  }
  ++counts.invalid;
  std::string_view errc = expect["errc"], pointer = expect["pointer"], ocpp_code = expect["ocpp"];
  REQUIRE_FALSE(result.has_value());
  const auto& error = result.error();
  INFO("got: " << error.message());
  CHECK(errc_name(error.code) == errc);
  CHECK(error.pointer == pointer);
  CHECK(ocpp::call_error_for(version, error).code == ocpp_code);
}

template <class Action, class Request, class Response, class ParseAction, class DecodeRequest, class DecodeResponse>
Counts run_vectors(const std::string& file, ocpp::Version version, ParseAction parse_action,
                   DecodeRequest decode_request, DecodeResponse decode_response) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.load(file);
  Counts counts;
  for (simdjson::dom::element c : root["cases"].get_array()) {
    std::string_view action_name = c["action"], kind = c["kind"], name = c["name"];
    std::string payload = simdjson::minify(c["payload"]);
    INFO(action_name << " " << kind << " [" << name << "] " << payload.substr(0, 400));
    Action action{};
    REQUIRE(parse_action(action_name, action));
    if (kind == "request") {
      check_case<Action, Request>(action, decode_request, payload, c["expect"], version, counts);
    } else {
      check_case<Action, Response>(action, decode_response, payload, c["expect"], version, counts);
    }
  }
  return counts;
}

#define EVBROKER_RUN_VECTORS(ns, file, version)                                             \
  run_vectors<ns::Action, ns::Request, ns::Response>(                                       \
      std::string(EVBROKER_VECTORS_DIR) + "/" + file, version,                              \
      [](std::string_view n, ns::Action& a) { return ns::parse_action(n, a); },             \
      [](ns::Action a, std::string_view p, ns::Request& r, const ocpp::DecodeOptions& o) {  \
        return ns::decode_request(a, p, r, o);                                              \
      },                                                                                    \
      [](ns::Action a, std::string_view p, ns::Response& r, const ocpp::DecodeOptions& o) { \
        return ns::decode_response(a, p, r, o);                                             \
      })

}  // namespace

TEST_CASE("every OCPP 1.6 message round-trips and every schema violation gets its exact error", "[vectors]") {
  auto counts = EVBROKER_RUN_VECTORS(ocpp16, "vectors_16.json", ocpp::Version::v16);
  CHECK(counts.valid > 300);
  CHECK(counts.invalid > 700);
}

TEST_CASE("every OCPP 2.0.1 message round-trips and every schema violation gets its exact error", "[vectors]") {
  auto counts = EVBROKER_RUN_VECTORS(ocpp201, "vectors_201.json", ocpp::Version::v201);
  CHECK(counts.valid > 600);
  CHECK(counts.invalid > 4000);
}

TEST_CASE("every OCPP 2.1 message round-trips and every schema violation gets its exact error", "[vectors]") {
  auto counts = EVBROKER_RUN_VECTORS(ocpp21, "vectors_21.json", ocpp::Version::v21);
  CHECK(counts.valid > 1000);
  CHECK(counts.invalid > 9000);
}

TEST_CASE("the action tables cover every action of each version", "[vectors]") {
  CHECK(ocpp16::kActionCount == 39);
  CHECK(ocpp201::kActionCount == 64);
  for (std::size_t i = 0; i < ocpp201::kActionCount; ++i) {
    auto action = static_cast<ocpp201::Action>(i);
    ocpp201::Action parsed{};
    REQUIRE(ocpp201::parse_action(ocpp201::to_string(action), parsed));
    CHECK(parsed == action);
  }
  ocpp201::Action unused{};
  CHECK_FALSE(ocpp201::parse_action("bootnotification", unused));
  CHECK_FALSE(ocpp201::parse_action("StartTransaction", unused));  // 1.6 only
  ocpp16::Action start{};
  REQUIRE(ocpp16::parse_action("StartTransaction", start));
  CHECK(ocpp16::info(start).initiator == ocpp::Initiator::charging_station);
  ocpp201::Action reset{};
  REQUIRE(ocpp201::parse_action("Reset", reset));
  CHECK(ocpp201::info(reset).initiator == ocpp::Initiator::csms);
  CHECK(ocpp201::info(ocpp201::Action::DataTransfer).initiator == ocpp::Initiator::both);
  CHECK((ocpp201::ActionOf<ocpp201::TransactionEventRequest>::value == ocpp201::Action::TransactionEvent));
  CHECK((std::is_same_v<ocpp201::Messages<ocpp201::Action::Heartbeat>::Response, ocpp201::HeartbeatResponse>));
}
