// What no input may do to the protocol layer: nest deeper than the limit (issue 12, item 1: 60,000
// nested arrays overflowed the stack), or pass numbers the node cannot represent off as malformed
// JSON (item 13). And the grammar check every reader relies on (json_check.hpp).

#include <catch2/catch.hpp>

#include <string>

#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"
#include "protocol/json_check.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

using namespace evbroker;

namespace {

/// `levels` arrays nested, innermost holding 1: "[[[1]]]" for 3.
std::string nested_arrays(std::size_t levels) { return std::string(levels, '[') + "1" + std::string(levels, ']'); }

/// `levels` objects nested: {"a":{"a":{}}} for 3.
std::string nested_objects(std::size_t levels) {
  std::string out;
  for (std::size_t i = 1; i < levels; ++i) out += "{\"a\":";
  out += "{}";
  out += std::string(levels - 1, '}');
  return out;
}

ocpp::DecodeError decode_error_201(ocpp201::Action action, std::string_view payload,
                                   const ocpp::DecodeOptions& options = {}) {
  ocpp201::Request request;
  auto result = ocpp201::decode_request(action, payload, request, options);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

constexpr std::size_t kAttackLevels = 60000;  // the issue's frame: ~120 KB

}  // namespace

// ---- the grammar check ---------------------------------------------------------------------------

TEST_CASE("the JSON check accepts what RFC 8259 allows, numbers of any size included", "[json_check]") {
  for (std::string_view ok :
       {"{}", "[]", "0", "-0", "1.5e-3", "\"\"", "true", "null", " [1, \"a\", {\"b\": null}] ", "99999999999999999999",
        "1e400", "-1E+400", "\"\\u00e9\\ud83d\\ude00\\n\\/\"", "{\"a\":[{},[[]],{\"b\":{\"c\":false}}]}"}) {
    INFO(ok);
    CHECK(ocpp::check_json(ok, 64).status == ocpp::JsonCheck::ok);
  }
}

TEST_CASE("the JSON check refuses what RFC 8259 does not allow", "[json_check]") {
  for (std::string_view bad : {"",
                               " ",
                               "{",
                               "[1,]",
                               "{\"a\"}",
                               "{\"a\":1,}",
                               "{a:1}",
                               "01",
                               "1.",
                               "-",
                               "1e",
                               ".5",
                               "+1",
                               "tru",
                               "nul",
                               "[1] 2",
                               "\"\\x\"",
                               "\"\\u12\"",
                               "\"\\ud800\"",
                               "\"\\udc00\"",
                               "\"\\ud800\\u0041\"",
                               "\"a\tb\"",
                               "'a'",
                               "[1 2]",
                               "{\"a\" 1}",
                               "\"unterminated"}) {
    INFO(bad);
    CHECK(ocpp::check_json(bad, 64).status == ocpp::JsonCheck::malformed);
  }
  CHECK(ocpp::check_json("\"\xff\"", 64).status == ocpp::JsonCheck::malformed);  // invalid UTF-8
  CHECK(ocpp::check_json("\"\xc3\"", 64).status == ocpp::JsonCheck::malformed);  // truncated sequence
}

TEST_CASE("the JSON check counts nesting levels and stops at the limit without recursing", "[json_check]") {
  CHECK(ocpp::check_json(nested_arrays(64), 64).status == ocpp::JsonCheck::ok);
  CHECK(ocpp::check_json(nested_arrays(65), 64).status == ocpp::JsonCheck::too_deep);
  CHECK(ocpp::check_json(nested_objects(64), 64).status == ocpp::JsonCheck::ok);
  CHECK(ocpp::check_json(nested_objects(65), 64).status == ocpp::JsonCheck::too_deep);
  CHECK(ocpp::check_json(nested_arrays(kAttackLevels), 64).status == ocpp::JsonCheck::too_deep);
  // No limit: the deepest nesting it tracks, then too_deep, still without recursion.
  CHECK(ocpp::check_json(nested_arrays(4000), 0).status == ocpp::JsonCheck::ok);
  CHECK(ocpp::check_json(nested_arrays(kAttackLevels), 0).status == ocpp::JsonCheck::too_deep);
  // Levels are counted per path, not in total.
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) wide += (i ? "," : "") + nested_arrays(10);
  wide += "]";
  CHECK(ocpp::check_json(wide, 11).status == ocpp::JsonCheck::ok);
}

// ---- item 1: the frames that crashed the node -------------------------------------------------------

TEST_CASE("a CALLERROR whose details nest 60,000 levels is refused as too deep, not followed", "[json_limits]") {
  const std::string frame = "[4,\"1\",\"GenericError\",\"x\"," + nested_objects(kAttackLevels) + "]";
  auto parsed = ocpp::parse_frame(frame, {.max_frame_bytes = 1 << 20});  // ~300 KB of objects
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ocpp::FrameErrc::too_deep);
  CHECK(parsed.error().type == ocpp::MessageType::call_error);  // a CALLERROR is dropped, never answered
  const std::string arrays = "[4,\"1\",\"GenericError\",\"x\",{\"d\":" + nested_arrays(kAttackLevels) + "}]";
  CHECK(ocpp::parse_frame(arrays).error().code == ocpp::FrameErrc::too_deep);
}

TEST_CASE("CALLERROR details within the limit are kept, one level deeper is refused", "[json_limits]") {
  // The frame is level 1, the details object level 2: 62 more levels fit in 64.
  const std::string fits = "[4,\"1\",\"GenericError\",\"x\",{\"d\":" + nested_arrays(62) + "}]";
  auto parsed = ocpp::parse_frame(fits);
  REQUIRE(parsed.has_value());
  CHECK(parsed->error_details == "{\"d\":" + nested_arrays(62) + "}");
  const std::string deeper = "[4,\"1\",\"GenericError\",\"x\",{\"d\":" + nested_arrays(63) + "}]";
  CHECK(ocpp::parse_frame(deeper).error().code == ocpp::FrameErrc::too_deep);
}

TEST_CASE("a DataTransfer whose data nests 60,000 levels gets FormatViolation", "[json_limits]") {
  const std::string payload = "{\"vendorId\":\"v\",\"data\":" + nested_arrays(kAttackLevels) + "}";
  const std::string frame = "[2,\"1\",\"DataTransfer\"," + payload + "]";
  auto parsed = ocpp::parse_frame(frame);
  REQUIRE(parsed.has_value());  // the envelope is fine; the payload decoder meets the depth
  auto error = decode_error_201(ocpp201::Action::DataTransfer, parsed->payload);
  CHECK(error.code == ocpp::DecodeErrc::too_deep);
  CHECK(ocpp::call_error_for(ocpp::Version::v201, error).code == "FormatViolation");
  CHECK(ocpp::call_error_for(ocpp::Version::v16, error).code == "FormationViolation");
  ocpp16::Request request16;
  auto result16 = ocpp16::decode_request(ocpp16::Action::DataTransfer,
                                         "{\"vendorId\":\"v\",\"data\":\"" + std::string(10, 'x') + "\"}", request16);
  CHECK(result16.has_value());
}

TEST_CASE("a gateway's frame check refuses a deep payload itself, with the CALL's id", "[json_limits]") {
  const std::string frame =
      "[2,\"g1\",\"DataTransfer\",{\"vendorId\":\"v\",\"data\":" + nested_arrays(kAttackLevels) + "}]";
  auto parsed = ocpp::parse_frame(frame, {.check_payload = true});
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ocpp::FrameErrc::too_deep);
  CHECK(parsed.error().message_id == "g1");
  CHECK(ocpp::call_error_for(ocpp::Version::v201, parsed.error()).code == "FormatViolation");
  CHECK(ocpp::parse_frame("[2,\"g2\",\"Heartbeat\",{\"a\":[[1]]}]", {.check_payload = true}).has_value());
}

TEST_CASE("customData nested 60,000 levels gets FormatViolation, in strict and tolerant mode", "[json_limits]") {
  const std::string payload = "{\"customData\":{\"vendorId\":\"v\",\"x\":" + nested_objects(kAttackLevels) + "}}";
  for (bool tolerant : {false, true}) {
    auto error = decode_error_201(ocpp201::Action::Heartbeat, payload, {.tolerant = tolerant});
    CHECK(error.code == ocpp::DecodeErrc::too_deep);
  }
  // A tolerant decode skips unknown members without reading them: the depth is still refused.
  auto skipped = decode_error_201(ocpp201::Action::Heartbeat, "{\"unknown\":" + nested_arrays(kAttackLevels) + "}",
                                  {.tolerant = true});
  CHECK(skipped.code == ocpp::DecodeErrc::too_deep);
}

TEST_CASE("the depth limit counts from the payload root and can be configured", "[json_limits]") {
  // Payload object level 1, data level 2: data may nest 63 more levels in 64... as a value.
  auto data = [](std::size_t levels) { return "{\"vendorId\":\"v\",\"data\":" + nested_arrays(levels) + "}"; };
  ocpp201::Request request;
  CHECK(ocpp201::decode_request(ocpp201::Action::DataTransfer, data(63), request).has_value());
  CHECK(decode_error_201(ocpp201::Action::DataTransfer, data(64)).code == ocpp::DecodeErrc::too_deep);
  CHECK(ocpp201::decode_request(ocpp201::Action::DataTransfer, data(9), request, {.max_depth = 10}).has_value());
  CHECK(decode_error_201(ocpp201::Action::DataTransfer, data(10), {.max_depth = 10}).code ==
        ocpp::DecodeErrc::too_deep);
}

TEST_CASE("an MQTT envelope nested too deep is refused with a message", "[json_limits]") {
  const std::string envelope =
      "{\"type\":2,\"action\":\"DataTransfer\",\"id\":\"1\",\"request\":{\"vendorId\":\"v\",\"data\":" +
      nested_arrays(kAttackLevels) + "}}";
  auto decoded = ocpp::decode_envelope(envelope);
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error().find("nested deeper than 64 levels") != std::string::npos);
}

// ---- item 13: numbers of the wrong range are not malformed JSON ----------------------------------------

TEST_CASE("an integer beyond 64 bits gets TypeConstraintViolation, as 1e300 does", "[json_limits]") {
  auto big = decode_error_201(
      ocpp201::Action::StatusNotification,
      R"({"timestamp":"2024-01-01T00:00:00Z","connectorStatus":"Available","evseId":99999999999999999999,"connectorId":1})");
  CHECK(big.code == ocpp::DecodeErrc::integer_out_of_range);
  CHECK(big.pointer == "/evseId");
  CHECK(ocpp::call_error_for(ocpp::Version::v201, big).code == "TypeConstraintViolation");
  auto exponent = decode_error_201(
      ocpp201::Action::StatusNotification,
      R"({"timestamp":"2024-01-01T00:00:00Z","connectorStatus":"Available","evseId":1e300,"connectorId":1})");
  CHECK(ocpp::call_error_for(ocpp::Version::v201, exponent).code == "TypeConstraintViolation");
  ocpp16::Request request;
  auto v16 = ocpp16::decode_request(
      ocpp16::Action::StartTransaction,
      R"({"connectorId":1,"idTag":"t","meterStart":99999999999999999999,"timestamp":"2024-01-01T00:00:00Z"})", request);
  REQUIRE_FALSE(v16.has_value());
  CHECK(ocpp::call_error_for(ocpp::Version::v16, v16.error()).code == "TypeConstraintViolation");
}

TEST_CASE("a number beyond the range of a double gets TypeConstraintViolation", "[json_limits]") {
  ocpp16::Request request;
  auto huge = ocpp16::decode_request(
      ocpp16::Action::MeterValues,
      R"({"connectorId":1,"meterValue":[{"timestamp":"2024-01-01T00:00:00Z","sampledValue":[{"value":"1"}]}],"transactionId":1e400})",
      request);
  REQUIRE_FALSE(huge.has_value());
  CHECK(ocpp::call_error_for(ocpp::Version::v16, huge.error()).code == "TypeConstraintViolation");
}

TEST_CASE("any-JSON values refuse numbers the node could not read back", "[json_limits]") {
  for (std::string_view number : {"99999999999999999999", "-9223372036854775809", "1e400"}) {
    INFO(number);
    auto error = decode_error_201(ocpp201::Action::DataTransfer,
                                  "{\"vendorId\":\"v\",\"data\":{\"n\":" + std::string(number) + "}}");
    CHECK(error.code == ocpp::DecodeErrc::integer_out_of_range);
    CHECK(ocpp::call_error_for(ocpp::Version::v201, error).code == "TypeConstraintViolation");
  }
  ocpp201::Request request;
  CHECK(ocpp201::decode_request(ocpp201::Action::DataTransfer,
                                R"({"vendorId":"v","data":[18446744073709551615,-9223372036854775808,1.5e308]})",
                                request)
            .has_value());
}

TEST_CASE("a malformed number is still malformed JSON", "[json_limits]") {
  auto error = decode_error_201(
      ocpp201::Action::StatusNotification,
      R"({"timestamp":"2024-01-01T00:00:00Z","connectorStatus":"Available","evseId":01,"connectorId":1})");
  CHECK(error.code == ocpp::DecodeErrc::invalid_json);
  CHECK(ocpp::call_error_for(ocpp::Version::v201, error).code == "FormatViolation");
}
