// libFuzzer target over the whole protocol layer: any bytes as an OCPP-J frame, then the payload as
// the request (CALL) or the response (CALLRESULT, action chosen from the message id) of every
// version, strict and tolerant. Besides "no crash, no sanitizer report" it checks one property:
// whatever decodes, encodes to JSON that decodes again to an equal value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/ocpp21/actions.hpp"

namespace {

using namespace evbroker;

template <class Message, class Action, class Decode>
void round_trip(Action action, std::string_view payload, Decode decode, bool tolerant) {
  Message first;
  ocpp::DecodeOptions options{.tolerant = tolerant};
  auto result = decode(action, payload, first, options);
  if (!result) {
    (void)ocpp::call_error_for(ocpp::Version::v201, result.error());
    return;
  }
  std::string encoded;
  ocpp::JsonWriter w(encoded);
  encode(w, first);
  Message second;
  if (!decode(action, encoded, second, options)) __builtin_trap();  // our own output must decode
  if (!(first == second)) __builtin_trap();                         // to the same value
}

template <class Action, class Request, class Response, std::size_t Count, class Parse, class DecReq, class DecResp>
void exercise(const ocpp::Frame& frame, Parse parse_action, DecReq decode_request, DecResp decode_response) {
  Action action{};
  if (frame.type == ocpp::MessageType::call) {
    if (!parse_action(frame.action, action)) return;
    for (bool tolerant : {false, true}) round_trip<Request>(action, frame.payload, decode_request, tolerant);
  } else if (frame.type == ocpp::MessageType::call_result) {
    // The seeds name the action in the message id; anything else picks one by hash.
    if (!parse_action(frame.message_id, action)) {
      std::size_t h = 0;
      for (char c : frame.message_id) h = h * 31 + static_cast<unsigned char>(c);
      action = static_cast<Action>(h % Count);
    }
    for (bool tolerant : {false, true}) round_trip<Response>(action, frame.payload, decode_response, tolerant);
  }
}

#define EVBROKER_EXERCISE(ns, frame)                                                                     \
  exercise<ns::Action, ns::Request, ns::Response, ns::kActionCount>(                                     \
      frame, [](std::string_view n, ns::Action& a) { return ns::parse_action(n, a); },                   \
      [](ns::Action a, std::string_view p, ns::Request& r, const ocpp::DecodeOptions& o) {               \
        return ns::decode_request(a, p, r, o);                                                           \
      },                                                                                                 \
      [](ns::Action a, std::string_view p, ns::Response& r, const ocpp::DecodeOptions& o) {              \
        return ns::decode_response(a, p, r, o);                                                          \
      })

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool tolerant : {false, true}) {
    auto frame = ocpp::parse_frame(text, ocpp::FrameOptions{.max_frame_bytes = 64 * 1024, .tolerant = tolerant});
    if (!frame) {
      for (auto v : {ocpp::Version::v16, ocpp::Version::v201}) (void)ocpp::call_error_for(v, frame.error());
      continue;
    }
    // A frame we parsed is rebuilt and must parse again to the same fields.
    std::string rebuilt = frame->type == ocpp::MessageType::call
                              ? ocpp::call_frame(frame->message_id, frame->action, frame->payload)
                          : frame->type == ocpp::MessageType::call_result
                              ? ocpp::call_result_frame(frame->message_id, frame->payload)
                              : ocpp::call_error_frame(frame->message_id, frame->error_code, frame->error_description,
                                                       frame->error_details);
    auto again = ocpp::parse_frame(rebuilt, ocpp::FrameOptions{.max_frame_bytes = 1 << 20});
    if (!again || again->message_id != frame->message_id || again->action != frame->action ||
        again->error_code != frame->error_code || again->error_description != frame->error_description)
      __builtin_trap();
    if (tolerant) continue;  // payload decoding does not depend on frame tolerance
    EVBROKER_EXERCISE(ocpp16, *frame);
    EVBROKER_EXERCISE(ocpp201, *frame);
    EVBROKER_EXERCISE(ocpp21, *frame);
  }
  return 0;
}
