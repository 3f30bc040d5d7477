// libFuzzer target over what arrives from the MQTT broker in a cluster (protocol/mqtt_envelope.hpp):
// the input is "<topic>\n<payload>". The topic goes through parse_topic (three prefixes); the
// payload through decode_envelope, decode_connection_event and decode_control_command, as a manager
// or gateway would whatever the topic. An envelope that decodes is then handled as the bridges do:
// frame_of, parse_frame, and the typed decoder of its action in the topic's version. The JSON depth
// limit is, per input, the node's default or the deepest configurable one (ocpp_round_trip.hpp).
//
// Properties (a failure traps):
//   - a decoded envelope, event or command encodes to text that decodes to the same value;
//   - the frame of a decoded envelope parses (raw members go to stations verbatim, so they must be
//     well-formed), to the envelope's type, id, action and payload, and envelope_of gives them back;
//   - a parsed topic rebuilt with the builders parses to the same topic.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/frame.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "tests/fuzz/fuzz_mutator.hpp"
#include "tests/fuzz/ocpp_round_trip.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::json)

namespace {

using namespace evbroker;
using ocpp::Envelope;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool same(const Envelope& a, const Envelope& b) {
  return a.type == b.type && a.action == b.action && a.id == b.id && a.request == b.request &&
         a.response == b.response && a.error_code == b.error_code && a.error_description == b.error_description &&
         a.error_details == b.error_details && a.state == b.state;
}

std::string rebuild(std::string_view prefix, const ocpp::Topic& t) {
  switch (t.kind) {
    case ocpp::TopicKind::in:
    case ocpp::TopicKind::out:
    case ocpp::TopicKind::event: return ocpp::station_topic(prefix, t.kind, *t.version, t.station_id);
    case ocpp::TopicKind::control: return ocpp::control_topic(prefix, t.station_id);
    case ocpp::TopicKind::registry: return ocpp::registry_topic(prefix, t.station_id);
    case ocpp::TopicKind::gateway_status: return ocpp::gateway_status_topic(prefix, t.gateway_id);
  }
  return {};
}

std::optional<ocpp::Version> topic_version(std::string_view topic) {
  std::optional<ocpp::Version> version;
  for (std::string_view prefix : {"cs", "", "site1/cs"}) {
    auto t = ocpp::parse_topic(prefix, topic);
    if (!t) continue;
    auto again = ocpp::parse_topic(prefix, rebuild(prefix, *t));
    require(again && again->kind == t->kind && again->version == t->version && again->station_id == t->station_id &&
            again->gateway_id == t->gateway_id);
    (void)ocpp::station_partition(t->station_id, 7);
    if (t->version) version = t->version;
  }
  return version;
}

/// The payload is level 2 of the frame the station actor parses: one level less.
template <class Api>
void decode_payload(const Envelope& e, std::size_t depth) {
  typename Api::Action action{};
  if (!Api::parse_action(e.action, action)) return;
  if (e.type == ocpp::MessageType::call)
    fuzz::decode_round_trip<Api, typename Api::Request>(action, e.request, false, nullptr, depth - 1);
  if (e.type == ocpp::MessageType::call_result)
    fuzz::decode_round_trip<Api, typename Api::Response>(action, e.response, false, nullptr, depth - 1);
}

void envelope(std::string_view payload, std::optional<ocpp::Version> version, std::size_t depth) {
  auto e = ocpp::decode_envelope(payload, depth);
  if (!e) return;
  auto again = ocpp::decode_envelope(ocpp::encode_envelope(*e), depth);
  require(again && same(*e, *again));

  // The envelope's depth limit is meant to let its frame through the same limit.
  const std::string text = ocpp::frame_of(*e);
  auto frame = ocpp::parse_frame(text, ocpp::FrameOptions{.max_frame_bytes = 1 << 22, .max_depth = depth});
  require(frame.has_value());
  require(frame->type == e->type && frame->message_id == e->id);
  switch (e->type) {
    case ocpp::MessageType::call: require(frame->action == e->action && frame->payload == e->request); break;
    case ocpp::MessageType::call_result: require(frame->payload == e->response); break;
    case ocpp::MessageType::call_error:
      require(frame->error_code == e->error_code && frame->error_description == e->error_description);
      break;
  }
  ocpp::Frame copy = *frame;
  Envelope back = ocpp::envelope_of(std::move(copy));
  require(back.type == e->type && back.id == e->id);
  if (e->type == ocpp::MessageType::call) require(back.action == e->action && back.request == e->request);
  if (e->type == ocpp::MessageType::call_result) require(back.response == e->response);
  if (e->type == ocpp::MessageType::call_error) require(back.error_details == frame->error_details);

  switch (version.value_or(ocpp::Version::v201)) {
    case ocpp::Version::v16: decode_payload<fuzz::ocpp16_api>(*e, depth); break;
    case ocpp::Version::v201: decode_payload<fuzz::ocpp201_api>(*e, depth); break;
    case ocpp::Version::v21: decode_payload<fuzz::ocpp21_api>(*e, depth); break;
  }
}

void connection_event(std::string_view payload) {
  auto e = ocpp::decode_connection_event(payload);
  if (!e) return;
  auto again = ocpp::decode_connection_event(ocpp::encode_connection_event(*e));
  require(again && again->connected == e->connected && again->gateway == e->gateway && again->session == e->session &&
          again->remote_address == e->remote_address && again->at_ms == e->at_ms &&
          (!e->connected ? again->reason == e->reason : again->reason.empty()));
}

void control_command(std::string_view payload) {
  auto c = ocpp::decode_control_command(payload);
  if (!c) return;
  auto again = ocpp::decode_control_command(ocpp::encode_control_command(*c));
  require(again && again->command == c->command && again->code == c->code && again->reason == c->reason &&
          again->session == c->session);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view topic = newline == std::string_view::npos ? std::string_view{} : input.substr(0, newline);
  const std::string_view payload = newline == std::string_view::npos ? input : input.substr(newline + 1);
  const auto version = topic_version(topic);
  envelope(payload, version, fuzz::depth_for(input));
  connection_event(payload);
  control_command(payload);
  return 0;
}
