// libFuzzer target over what a charge station sends: any bytes as an OCPP-J frame (strict and
// tolerant framing, at the node's default frame limit and, per input, the default or the deepest
// configurable JSON depth limit, as the station actor sets them), then the payload as the request (CALL) or
// the response (CALLRESULT; the action from the message id, as the seeds name it, or by hash) of
// every version, strict and tolerant. A 1.6 DataTransfer of the Plug & Charge vendor also has its
// data decoded as the 2.0.1 request it wraps, as the security actor does.
//
// Besides "no crash, no sanitizer report" it checks two properties: a parsed frame rebuilt from its
// fields parses again to the same fields, and whatever decodes encodes to JSON that decodes again
// to an equal value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/error_codes.hpp"
#include "protocol/frame.hpp"
#include "tests/fuzz/fuzz_mutator.hpp"
#include "tests/fuzz/ocpp_round_trip.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::json)

namespace {

using namespace evbroker;
using fuzz::decode_round_trip;

/// The node's default max_frame_bytes (apps/evbroker/config.hpp).
constexpr std::size_t kMaxFrameBytes = 256 * 1024;

/// A payload is level 2 of its frame: it may nest one level less (station_actor.cpp payload_options).
template <class Api>
void exercise(const ocpp::Frame& frame, std::size_t frame_depth) {
  const std::size_t depth = frame_depth - 1;
  if (frame.type == ocpp::MessageType::call) {
    typename Api::Action action{};
    if (!Api::parse_action(frame.action, action)) return;
    for (bool tolerant : {false, true})
      decode_round_trip<Api, typename Api::Request>(action, frame.payload, tolerant, nullptr, depth);
  } else if (frame.type == ocpp::MessageType::call_result) {
    const auto action = fuzz::action_named<Api>(frame.message_id);
    for (bool tolerant : {false, true})
      decode_round_trip<Api, typename Api::Response>(action, frame.payload, tolerant, nullptr, depth);
  }
}

/// 1.6 Plug & Charge: DataTransfer data holding a 2.0.1 request (actors/pnc/security_actor.cpp).
void exercise_pnc(const ocpp::Frame& frame, std::size_t frame_depth) {
  if (frame.type != ocpp::MessageType::call || frame.action != "DataTransfer") return;
  ocpp16::Request request;
  if (!decode_round_trip<fuzz::ocpp16_api>(ocpp16::Action::DataTransfer, frame.payload, false, &request,
                                           frame_depth - 1))
    return;
  const auto& transfer = std::get<ocpp16::DataTransferRequest>(request);
  if (!transfer.data) return;
  ocpp201::Action action{};
  if (!ocpp201::parse_action(transfer.messageId.value_or(""), action)) return;
  // Its own document, held to the node's limit (security_actor.cpp).
  decode_round_trip<fuzz::ocpp201_api, ocpp201::Request>(action, *transfer.data, false, nullptr, frame_depth);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t depth = fuzz::depth_for(text);
  for (bool tolerant : {false, true}) {
    auto frame = ocpp::parse_frame(
        text, ocpp::FrameOptions{.max_frame_bytes = kMaxFrameBytes, .max_depth = depth, .tolerant = tolerant});
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
    auto again = ocpp::parse_frame(rebuilt, ocpp::FrameOptions{.max_frame_bytes = 1 << 20, .max_depth = depth});
    if (!again || again->type != frame->type || again->message_id != frame->message_id ||
        again->action != frame->action || again->payload != frame->payload || again->error_code != frame->error_code ||
        again->error_description != frame->error_description || again->error_details != frame->error_details)
      __builtin_trap();
    if (tolerant) continue;  // payload decoding does not depend on frame tolerance
    exercise<fuzz::ocpp16_api>(*frame, depth);
    exercise<fuzz::ocpp201_api>(*frame, depth);
    exercise<fuzz::ocpp21_api>(*frame, depth);
    exercise_pnc(*frame, depth);
  }
  return 0;
}
