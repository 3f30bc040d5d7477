// OCPP-J framing: well-formed frames of each type, and every way a frame can be malformed, with the
// CALLERROR code each version answers it with.

#include <catch2/catch.hpp>

#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"

using namespace evbroker::ocpp;

namespace {

FrameError frame_error(std::string_view text, const FrameOptions& options = {}) {
  auto result = parse_frame(text, options);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

std::string_view code_for(std::string_view text, Version v) { return call_error_for(v, frame_error(text)).code; }

}  // namespace

TEST_CASE("a CALL keeps its id, action and the raw payload text", "[frame]") {
  std::string text = R"( [2, "19223201", "BootNotification", {"reason": "PowerUp", "n": [1, 2]} ] )";
  auto frame = parse_frame(text);
  REQUIRE(frame.has_value());
  CHECK(frame->type == MessageType::call);
  CHECK(frame->message_id == "19223201");
  CHECK(frame->action == "BootNotification");
  CHECK(frame->payload == R"({"reason": "PowerUp", "n": [1, 2]})");
  // The payload is a view into the caller's text, not into a parser buffer.
  CHECK(frame->payload.data() >= text.data());
  CHECK(frame->payload.data() < text.data() + text.size());
}

TEST_CASE("a CALLRESULT and a CALLERROR parse", "[frame]") {
  auto result = parse_frame(R"([3,"abc",{"status":"Accepted"}])");
  REQUIRE(result.has_value());
  CHECK(result->type == MessageType::call_result);
  CHECK(result->message_id == "abc");
  CHECK(result->payload == R"({"status":"Accepted"})");

  auto error = parse_frame(R"([4,"abc","NotImplemented","Unknown \"action\"",{"a": [1, true]}])");
  REQUIRE(error.has_value());
  CHECK(error->type == MessageType::call_error);
  CHECK(error->error_code == "NotImplemented");
  CHECK(error->error_description == "Unknown \"action\"");
  CHECK(error->error_details == R"({"a":[1,true]})");
}

TEST_CASE("escaped message ids are unescaped", "[frame]") {
  auto frame = parse_frame(R"([2,"a\"b\u0041","Heartbeat",{}])");
  REQUIRE(frame.has_value());
  CHECK(frame->message_id == "a\"bA");
}

TEST_CASE("malformed frames get the error code of their version", "[frame]") {
  struct Case {
    std::string_view text;
    FrameErrc code;
    std::string_view v201;
    std::string_view v16;
  };
  const Case cases[] = {
      {"not json", FrameErrc::not_json, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1","Heartbeat",{})", FrameErrc::not_json, "RpcFrameworkError", "FormationViolation"},
      {R"({"a":1})", FrameErrc::not_array, "RpcFrameworkError", "FormationViolation"},
      {R"("text")", FrameErrc::not_array, "RpcFrameworkError", "FormationViolation"},
      {R"([])", FrameErrc::wrong_arity, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1","Heartbeat"])", FrameErrc::wrong_arity, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1","Heartbeat",{},{}])", FrameErrc::wrong_arity, "RpcFrameworkError", "FormationViolation"},
      {R"([3,"1"])", FrameErrc::wrong_arity, "RpcFrameworkError", "FormationViolation"},
      {R"([4,"1","GenericError",""])", FrameErrc::wrong_arity, "RpcFrameworkError", "FormationViolation"},
      {R"(["2","1","Heartbeat",{}])", FrameErrc::bad_message_type, "RpcFrameworkError", "FormationViolation"},
      {R"([2.5,"1","Heartbeat",{}])", FrameErrc::bad_message_type, "RpcFrameworkError", "FormationViolation"},
      {R"([5,"1","Heartbeat",{}])", FrameErrc::unknown_message_type, "MessageTypeNotSupported", "FormationViolation"},
      {R"([6,"1","Heartbeat",{}])", FrameErrc::unknown_message_type, "MessageTypeNotSupported", "FormationViolation"},
      {R"([2,1,"Heartbeat",{}])", FrameErrc::bad_message_id, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1234567890123456789012345678901234567","Heartbeat",{}])", FrameErrc::message_id_too_long,
       "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1",7,{}])", FrameErrc::bad_action, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1",null,{}])", FrameErrc::bad_action, "RpcFrameworkError", "FormationViolation"},
      {R"([2,"1","Heartbeat",[]])", FrameErrc::bad_payload, "FormatViolation", "FormationViolation"},
      {R"([2,"1","Heartbeat","{}"])", FrameErrc::bad_payload, "FormatViolation", "FormationViolation"},
      {R"([3,"1",null])", FrameErrc::bad_payload, "FormatViolation", "FormationViolation"},
      {R"([4,"1",5,"",{}])", FrameErrc::bad_error_fields, "RpcFrameworkError", "FormationViolation"},
      {R"([4,"1","GenericError","",[]])", FrameErrc::bad_payload, "FormatViolation", "FormationViolation"},
      {R"([2,"1","Heartbeat",{}] [1])", FrameErrc::not_json, "RpcFrameworkError", "FormationViolation"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(frame_error(c.text).code == c.code);
    CHECK(code_for(c.text, Version::v201) == c.v201);
    CHECK(code_for(c.text, Version::v16) == c.v16);
  }
}

TEST_CASE("a 36-character message id is the longest accepted", "[frame]") {
  std::string id(36, 'x');
  CHECK(parse_frame(R"([2,")" + id + R"(","Heartbeat",{}])").has_value());
  // 36 characters, 72 bytes: the limit counts characters, not bytes.
  std::string wide;
  for (int i = 0; i < 36; ++i) wide += "é";
  CHECK(parse_frame(R"([2,")" + wide + R"(","Heartbeat",{}])").has_value());
}

TEST_CASE("an oversized frame is refused before parsing, keeping the id when it can be read", "[frame]") {
  std::string text = R"([2,"big-1","DataTransfer",{"vendorId":"v","data":")" + std::string(2000, 'x') + R"("}])";
  auto error = frame_error(text, FrameOptions{.max_frame_bytes = 1024});
  CHECK(error.code == FrameErrc::too_large);
  REQUIRE(error.message_id.has_value());
  CHECK(*error.message_id == "big-1");
  CHECK(error.type == MessageType::call);
  CHECK(call_error_for(Version::v201, error).code == "FormatViolation");
  CHECK(call_error_for(Version::v16, error).code == "FormationViolation");
  CHECK(parse_frame(text, FrameOptions{.max_frame_bytes = text.size()}).has_value());
}

TEST_CASE("errors report the message id and type when they were readable", "[frame]") {
  auto bad_payload = frame_error(R"([2,"m-7","Heartbeat",[]])");
  CHECK(bad_payload.message_id == std::optional<std::string>("m-7"));
  CHECK(bad_payload.type == MessageType::call);

  auto broken_result = frame_error(R"([3,"m-8"])");
  CHECK(broken_result.type == MessageType::call_result);  // a CALLRESULT is never answered

  auto unknown_type = frame_error(R"([7,"m-9","Heartbeat",{}])");
  CHECK(unknown_type.code == FrameErrc::unknown_message_type);
  CHECK(unknown_type.message_id == std::optional<std::string>("m-9"));  // answered with its own id
  CHECK_FALSE(unknown_type.type.has_value());

  auto unreadable = frame_error("[2, 17, \"x\", {}]");
  CHECK_FALSE(unreadable.message_id.has_value());  // answered with id "-1"

  auto truncated = frame_error(R"([2,"m-9","Heartbeat",{)");
  CHECK(truncated.code == FrameErrc::not_json);
  CHECK(truncated.message_id == std::optional<std::string>("m-9"));
}

TEST_CASE("tolerant framing accepts a CALLERROR without error details", "[frame]") {
  std::string_view text = R"([4,"1","GenericError","oops"])";
  CHECK(frame_error(text).code == FrameErrc::wrong_arity);
  auto frame = parse_frame(text, FrameOptions{.tolerant = true});
  REQUIRE(frame.has_value());
  CHECK(frame->error_details == "{}");
  auto null_details = parse_frame(R"([4,"1","GenericError","oops",null])", FrameOptions{.tolerant = true});
  REQUIRE(null_details.has_value());
  CHECK(null_details->error_details == "{}");
}

TEST_CASE("built frames parse back to what was built", "[frame]") {
  auto call = call_frame("id\"1", "Heartbeat", "{}");
  CHECK(call == R"([2,"id\"1","Heartbeat",{}])");
  auto parsed = parse_frame(call);
  REQUIRE(parsed.has_value());
  CHECK(parsed->message_id == "id\"1");

  CHECK(call_result_frame("7", R"({"currentTime":"2024-01-01T00:00:00.000Z"})") ==
        R"([3,"7",{"currentTime":"2024-01-01T00:00:00.000Z"}])");
  auto error = call_error_frame("-1", "RpcFrameworkError", "line\nbreak");
  CHECK(error == R"([4,"-1","RpcFrameworkError","line\nbreak",{}])");
  CHECK(parse_frame(error).has_value());
}
