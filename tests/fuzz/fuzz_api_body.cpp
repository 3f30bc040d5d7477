// libFuzzer target over what the management API hands to the protocol layer: the body of
// POST /api/v0/cs/{csId}/call/{Action} (actors/api/api_calls.cpp, station_call.cpp), which is
// decoded strictly as the request of a CSMS-initiated action, encoded and framed for the station;
// and the same bytes through simdjson's DOM parser as parse_body (actors/api/api_support.cpp) reads
// every other body, walked as the handlers walk it (members, strings, a "trigger"). The JSON depth
// limit is, per input, the node's default or the deepest configurable one (ocpp_round_trip.hpp).
//
// The input is "<version>/<Action>\n<body>" (version 1.6, 2.0.1 or 2.1). A first line that names
// no CSMS-initiated action picks one by hash, so any input reaches a decoder.
//
// Properties (a failure traps): a body that decodes round-trips (ocpp_round_trip.hpp), and the
// CALL frame built from its encoding parses back to the same action and payload. Differential:
// protocol/json_check.hpp's checker (which every document the node reads goes through) and
// simdjson's DOM parser agree on what is JSON: a text the DOM parser takes is well-formed for the
// checker, and a text the checker finds malformed the DOM parser refuses (the DOM parser may also
// refuse numbers it cannot represent and nesting beyond its limit, which the checker allows).

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.hpp"
#include "protocol/json_check.hpp"
#include "protocol/json_writer.hpp"
#include "tests/fuzz/fuzz_mutator.hpp"
#include "tests/fuzz/ocpp_round_trip.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::json)

namespace {

using namespace evbroker;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

std::size_t hash(std::string_view s) {
  std::size_t h = 0;
  for (char c : s) h = h * 31 + static_cast<unsigned char>(c);
  return h;
}

/// The CSMS-initiated actions of a version (ocpp::csms_may_call), in enum order.
template <class Api>
const std::vector<typename Api::Action>& csms_actions() {
  static const std::vector<typename Api::Action> actions = [] {
    std::vector<typename Api::Action> out;
    for (std::size_t i = 0; i < Api::kActionCount; ++i) {
      auto a = static_cast<typename Api::Action>(i);
      if (ocpp::csms_may_call(Api::info(a))) out.push_back(a);
    }
    return out;
  }();
  return actions;
}

template <class Api>
void call(std::string_view action_name, std::string_view body, std::size_t depth) {
  typename Api::Action action{};
  if (!Api::parse_action(action_name, action) || !ocpp::csms_may_call(Api::info(action))) {
    const auto& all = csms_actions<Api>();
    action = all[hash(action_name) % all.size()];
  }
  typename Api::Request request;
  if (!fuzz::decode_round_trip<Api, typename Api::Request>(action, body, false, &request, depth)) return;
  std::string payload;
  ocpp::JsonWriter w(payload);
  encode(w, request);
  const std::string frame_text = ocpp::call_frame("api-1", Api::info(action).name, payload);
  // What the station actor sends; its payload is level 2, so the frame may need one level more.
  auto frame = ocpp::parse_frame(frame_text, ocpp::FrameOptions{.max_frame_bytes = 1 << 22, .max_depth = depth + 1});
  require(frame && frame->type == ocpp::MessageType::call && frame->action == Api::info(action).name &&
          frame->payload == payload);
}

/// parse_body and what the handlers do with the object it returns.
void dom(std::string_view body, std::size_t depth) {
  const auto checked = ocpp::check_json(body, 0);
  // One parser per limit: allocate() as parse_body does, once.
  thread_local simdjson::dom::parser parsers[2];
  simdjson::dom::parser& parser = parsers[depth == fuzz::kDefaultDepth ? 0 : 1];
  if (parser.max_depth() != depth && parser.allocate(std::max<std::size_t>(body.size(), 64), depth)) std::abort();
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  const auto error = parser.parse(padded).get(root);
  if (error == simdjson::SUCCESS) require(checked.status == ocpp::JsonCheck::ok);
  if (checked.status == ocpp::JsonCheck::malformed) require(error != simdjson::SUCCESS);
  if (checked.status == ocpp::JsonCheck::ok && error != simdjson::SUCCESS)
    require(error == simdjson::DEPTH_ERROR || error == simdjson::NUMBER_ERROR ||
            error == simdjson::NUMBER_OUT_OF_RANGE);
  if (error) return;
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return;
  for (auto [key, value] : object) {
    std::string_view text;
    if (value.get(text) == simdjson::SUCCESS) (void)text.size();
    (void)key.size();
  }
  std::string_view trigger;
  if (object["trigger"].get(trigger) == simdjson::SUCCESS) {
    // trigger_station: {"requestedMessage": <trigger>} as a 2.0.1 (and 1.6) TriggerMessage.
    std::string payload;
    ocpp::JsonWriter w(payload);
    w.raw("{\"requestedMessage\":");
    w.string(trigger);
    w.raw('}');
    fuzz::decode_round_trip<fuzz::ocpp201_api, ocpp201::Request>(ocpp201::Action::TriggerMessage, payload, false,
                                                                 nullptr, depth);
    fuzz::decode_round_trip<fuzz::ocpp16_api, ocpp16::Request>(ocpp16::Action::TriggerMessage, payload, false, nullptr,
                                                               depth);
  }
  (void)simdjson::to_string(root);  // minify: the DOM serialiser on the same value
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  std::string_view head = newline == std::string_view::npos ? std::string_view{} : input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  const auto slash = head.find('/');
  const std::string_view version = slash == std::string_view::npos ? std::string_view{} : head.substr(0, slash);
  const std::string_view action = slash == std::string_view::npos ? head : head.substr(slash + 1);
  const std::size_t depth = fuzz::depth_for(input);
  if (version == "1.6") {
    call<fuzz::ocpp16_api>(action, body, depth);
  } else if (version == "2.0.1") {
    call<fuzz::ocpp201_api>(action, body, depth);
  } else if (version == "2.1") {
    call<fuzz::ocpp21_api>(action, body, depth);
  } else {
    switch (hash(version) % 3) {
      case 0: call<fuzz::ocpp16_api>(action, body, depth); break;
      case 1: call<fuzz::ocpp201_api>(action, body, depth); break;
      default: call<fuzz::ocpp21_api>(action, body, depth); break;
    }
  }
  dom(body, depth);
  return 0;
}
