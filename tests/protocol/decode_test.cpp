// Decoder behaviour that the schema-derived vectors do not reach: duplicates, escapes, numbers at
// the edges, trailing content, tolerant mode, and error descriptions.

#include <catch2/catch.hpp>

#include "protocol/error_codes.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

using namespace evbroker;

namespace {

ocpp::DecodeError decode_error_201(ocpp201::Action action, std::string_view payload) {
  ocpp201::Request request;
  auto result = ocpp201::decode_request(action, payload, request);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

ocpp16::StartTransactionRequest start_transaction(std::string_view payload, const ocpp::DecodeOptions& options = {}) {
  ocpp16::Request request;
  auto result = ocpp16::decode_request(ocpp16::Action::StartTransaction, payload, request, options);
  INFO((result ? std::string("ok") : result.error().message()));
  REQUIRE(result.has_value());
  return std::get<ocpp16::StartTransactionRequest>(request);
}

constexpr auto kBoot = ocpp201::Action::BootNotification;

}  // namespace

TEST_CASE("a property given twice is a duplicate", "[decode]") {
  auto error = decode_error_201(
      kBoot, R"({"reason":"PowerUp","reason":"PowerUp","chargingStation":{"model":"m","vendorName":"v"}})");
  CHECK(error.code == ocpp::DecodeErrc::duplicate_property);
  CHECK(error.pointer == "/reason");
  CHECK(ocpp::call_error_for(ocpp::Version::v201, error).code == "FormatViolation");
}

TEST_CASE("escaped keys and values are read as their unescaped text", "[decode]") {
  ocpp201::Request request;
  auto result = ocpp201::decode_request(
      kBoot,
      R"({"reas\u006fn":"Power\u0055p","chargingStation":{"model":"a\"b\\c\n","vendorName":"\u00e9\ud83d\ude00"}})",
      request);
  REQUIRE(result.has_value());
  const auto& boot = std::get<ocpp201::BootNotificationRequest>(request);
  CHECK(boot.reason == ocpp201::BootReasonEnumType::PowerUp);
  CHECK(boot.chargingStation.model == "a\"b\\c\n");
  CHECK(boot.chargingStation.vendorName == "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("maxLength counts characters, not bytes", "[decode]") {
  std::string twenty_wide;
  for (int i = 0; i < 20; ++i) twenty_wide += "€";  // 60 bytes
  ocpp201::Request request;
  CHECK(ocpp201::decode_request(
            kBoot, R"({"reason":"PowerUp","chargingStation":{"model":")" + twenty_wide + R"(","vendorName":"v"}})",
            request)
            .has_value());
  auto error = decode_error_201(
      kBoot, R"({"reason":"PowerUp","chargingStation":{"model":")" + twenty_wide + R"(x","vendorName":"v"}})");
  CHECK(error.code == ocpp::DecodeErrc::string_too_long);
  CHECK(error.detail == "length 21 exceeds maxLength 20");
}

TEST_CASE("integers: 1.0 is an integer, 1.5 and 2^63 are not", "[decode]") {
  CHECK(start_transaction(R"({"connectorId":1.0,"idTag":"t","meterStart":0,"timestamp":"2024-01-01T00:00:00Z"})")
            .connectorId == 1);
  CHECK(start_transaction(
            R"({"connectorId":1,"idTag":"t","meterStart":9007199254740993,"timestamp":"2024-01-01T00:00:00Z"})")
            .meterStart == 9007199254740993);
  ocpp16::Request request;
  auto fraction = ocpp16::decode_request(
      ocpp16::Action::StartTransaction,
      R"({"connectorId":1,"idTag":"t","meterStart":0.5,"timestamp":"2024-01-01T00:00:00Z"})", request);
  REQUIRE_FALSE(fraction.has_value());
  CHECK(fraction.error().code == ocpp::DecodeErrc::wrong_type);
  CHECK(fraction.error().pointer == "/meterStart");
  auto huge = ocpp16::decode_request(
      ocpp16::Action::StartTransaction,
      R"({"connectorId":1,"idTag":"t","meterStart":9223372036854775808,"timestamp":"2024-01-01T00:00:00Z"})", request);
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().code == ocpp::DecodeErrc::integer_out_of_range);
  CHECK(ocpp::call_error_for(ocpp::Version::v16, huge.error()).code == "TypeConstraintViolation");
}

TEST_CASE("date-times with offsets are read as UTC instants", "[decode]") {
  auto tx =
      start_transaction(R"({"connectorId":1,"idTag":"t","meterStart":0,"timestamp":"2024-03-01T01:30:00.1234+02:00"})");
  CHECK(tx.timestamp.to_string() == "2024-02-29T23:30:00.123Z");
}

TEST_CASE("malformed JSON and trailing content are format violations", "[decode]") {
  for (std::string_view payload : {R"({"reason":"PowerUp",})", R"({"reason":"PowerUp"} {})", R"({"reason":tru})",
                                   R"({"reason":"PowerUp")", "\xff"}) {
    INFO(payload);
    auto error = decode_error_201(kBoot, payload);
    CHECK(error.code == ocpp::DecodeErrc::invalid_json);
    CHECK(ocpp::call_error_for(ocpp::Version::v201, error).code == "FormatViolation");
    CHECK(ocpp::call_error_for(ocpp::Version::v16, error).code == "FormationViolation");
  }
}

TEST_CASE("a payload that is not an object is a type violation", "[decode]") {
  auto error = decode_error_201(ocpp201::Action::Heartbeat, "[]");
  CHECK(error.code == ocpp::DecodeErrc::wrong_type);
  CHECK(error.pointer.empty());
}

TEST_CASE("tolerant mode lets off-spec data through and reports each violation", "[decode]") {
  std::string_view payload =
      R"({"connectorId":1,"idTag":"123456789012345678901234","meterStart":0,"timestamp":"2024-01-01 10:00:00","vendorField":{"x":1}})";
  ocpp16::Request request;
  auto strict = ocpp16::decode_request(ocpp16::Action::StartTransaction, payload, request);
  REQUIRE_FALSE(strict.has_value());

  auto tx = start_transaction(payload, ocpp::DecodeOptions{.tolerant = true});
  CHECK(tx.idTag == "123456789012345678901234");  // kept as sent
  CHECK(tx.timestamp.to_string() == "2024-01-01T10:00:00.000Z");

  auto tolerated = ocpp16::decode_request(ocpp16::Action::StartTransaction, payload, request, {.tolerant = true});
  REQUIRE(tolerated.has_value());
  REQUIRE(tolerated->size() == 3);
  CHECK((*tolerated)[0].code == ocpp::DecodeErrc::string_too_long);
  CHECK((*tolerated)[0].pointer == "/idTag");
  CHECK((*tolerated)[1].code == ocpp::DecodeErrc::invalid_date_time);
  CHECK((*tolerated)[2].code == ocpp::DecodeErrc::unknown_property);
  CHECK((*tolerated)[2].pointer == "/vendorField");
}

TEST_CASE("tolerant mode drops an unknown value of an optional enum but not of a required one", "[decode]") {
  ocpp16::Request request;
  auto optional_enum = ocpp16::decode_request(
      ocpp16::Action::StopTransaction,
      R"({"meterStop":10,"timestamp":"2024-01-01T00:00:00Z","transactionId":5,"reason":"PowerFailure"})", request,
      {.tolerant = true});
  REQUIRE(optional_enum.has_value());
  CHECK(std::get<ocpp16::StopTransactionRequest>(request).reason == std::nullopt);
  REQUIRE(optional_enum->size() == 1);
  CHECK(optional_enum->front().pointer == "/reason");

  auto required_enum =
      ocpp16::decode_request(ocpp16::Action::StatusNotification,
                             R"({"connectorId":1,"errorCode":"NoError","status":"Busy"})", request, {.tolerant = true});
  REQUIRE_FALSE(required_enum.has_value());
  CHECK(required_enum.error().code == ocpp::DecodeErrc::invalid_enum_value);
  CHECK(required_enum.error().detail == "'Busy' is not a valid ChargePointStatus");
}

TEST_CASE("extra members of an open object survive a round trip", "[decode]") {
  ocpp201::Request request;
  std::string_view payload = R"({"customData":{"vendorId":"acme","seq":[1,{"a":null}],"note":"x\"y"}})";
  REQUIRE(ocpp201::decode_request(ocpp201::Action::Heartbeat, payload, request).has_value());
  const auto& heartbeat = std::get<ocpp201::HeartbeatRequest>(request);
  REQUIRE(heartbeat.customData.has_value());
  CHECK(heartbeat.customData->vendorId == "acme");
  CHECK(heartbeat.customData->extra_members.json == R"("seq":[1,{"a":null}],"note":"x\"y")");
  CHECK(ocpp::to_json(heartbeat) == payload);
}

TEST_CASE("DataTransfer data of any JSON type is kept", "[decode]") {
  for (std::string_view data : {R"("text")", "42", "-1.5e3", "true", "null", R"([1,"a",{}])", R"({"k":{"n":[]}})"}) {
    INFO(data);
    std::string payload = R"({"vendorId":"v","data":)" + std::string(data) + "}";
    ocpp201::Request request;
    REQUIRE(ocpp201::decode_request(ocpp201::Action::DataTransfer, payload, request).has_value());
    const auto& transfer = std::get<ocpp201::DataTransferRequest>(request);
    REQUIRE(transfer.data.has_value());
    CHECK(transfer.data->json == data);
    CHECK(ocpp::to_json(transfer) == payload);
  }
}

TEST_CASE("error messages name the field as a JSON pointer", "[decode]") {
  auto error = decode_error_201(
      kBoot, R"({"reason":"PowerUp","chargingStation":{"model":"m","vendorName":"v","modem":{"iccid":7}}})");
  CHECK(error.pointer == "/chargingStation/modem/iccid");
  auto call_error = ocpp::call_error_for(ocpp::Version::v201, error);
  CHECK(call_error.code == "TypeConstraintViolation");
  CHECK(call_error.description == "/chargingStation/modem/iccid: wrong type: expected a string");
}

TEST_CASE("CALLERROR descriptions are cut to 255 characters on a character boundary", "[decode]") {
  std::string long_text(254, 'a');
  long_text += "€€€";
  auto e = ocpp::call_error_for(ocpp::Version::v201, ocpp::ErrorCode::generic_error, long_text);
  CHECK(e.description.size() == 254);
}

TEST_CASE("1.6 error names keep the 1.6 spelling", "[decode]") {
  using ocpp::ErrorCode;
  using ocpp::Version;
  CHECK(ocpp::wire_name(ErrorCode::occurrence_constraint_violation, Version::v16) == "OccurenceConstraintViolation");
  CHECK(ocpp::wire_name(ErrorCode::occurrence_constraint_violation, Version::v201) == "OccurrenceConstraintViolation");
  CHECK(ocpp::wire_name(ErrorCode::format_violation, Version::v16) == "FormationViolation");
  CHECK(ocpp::wire_name(ErrorCode::format_violation, Version::v21) == "FormatViolation");
  CHECK(ocpp::wire_name(ErrorCode::not_implemented, Version::v16) == "NotImplemented");
}
