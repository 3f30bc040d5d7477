#pragma once
// The MQTT side of clustering (docs/cluster.md): MaEVe's topics and message envelope, so a MaEVe
// gateway or manager can sit on either end of an evbroker one.
//
//   <prefix>/in/<subprotocol>/<stationId>    gateway -> manager: what a station sent
//   <prefix>/out/<subprotocol>/<stationId>   manager -> gateway: what goes to the station
//   <subprotocol> is literally "ocpp1.6" or "ocpp2.0.1"
//
// Envelope (a JSON object; empty fields are omitted):
//   {"type":2|3|4, "action":"...", "id":"...", "request":{...}, "response":{...},
//    "error_code":"...", "error_description":"...", "state":{...}}
// plus "error_details":{...} for a CALLERROR whose details are not empty (an evbroker addition;
// MaEVe ignores unknown fields).
//
// Our own control topics (not MaEVe's; a MaEVe peer neither sends nor needs them):
//   <prefix>/event/<subprotocol>/<stationId>  gateway -> manager: connected / disconnected
//   <prefix>/control/<stationId>              manager -> gateways: close this station's socket
//   <prefix>/registry/<stationId>             manager -> gateways, retained: what the gateway's
//                                             upgrade check needs (the stored station record)
//   <prefix>/gateway/<gatewayId>/status       gateway, retained, with a last will: online/offline
//
// No I/O here: the MQTT client is protocol/transport/mqtt_link.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"
#include "protocol/frame.hpp"
#include "protocol/json_check.hpp"
#include "protocol/version.hpp"

namespace evbroker::ocpp {

struct Envelope {
  MessageType type = MessageType::call;
  std::string action;             // always set by us; MaEVe sets it on every type too
  std::string id;                 // the OCPP-J message id
  std::string request;            // raw JSON object text, "" when absent
  std::string response;           // raw JSON object text, "" when absent
  std::string error_code;         // CALLERROR
  std::string error_description;  // CALLERROR
  std::string error_details;      // CALLERROR: raw JSON object text; "" or "{}" are not written
  std::string state;              // raw JSON (any value) carried through unchanged, "" when absent
};

/// Compact JSON; raw fields are copied verbatim (they come from a decoder or a parsed frame).
std::string encode_envelope(const Envelope& envelope);

/// Parses an envelope. Errors name the field ("type: expected 2, 3 or 4"). Checks: a JSON object,
/// type 2/3/4, id a non-empty string of at most 36 characters, action a string (required for a
/// type 2), request/response/error_details objects when present, error_code/error_description
/// strings when present; a type 2 needs request, a type 3 needs response, a type 4 needs
/// error_code. Unknown fields are ignored (MaEVe compatibility). The envelope may nest at most
/// `max_depth` levels (json_check.hpp): its request becomes a frame's payload at the same level.
Expected<Envelope, std::string> decode_envelope(std::string_view json, std::size_t max_depth = kDefaultMaxJsonDepth);

/// An OCPP-J message as its parts (what a station actor sends to its connection).
Envelope call_message(std::string id, std::string action, std::string request);
Envelope call_result_message(std::string id, std::string response);
Envelope call_error_message(std::string id, std::string code, std::string description, std::string details = "{}");

/// The frame of a message as views into the envelope's text, for the code that reads frames: a
/// station actor given a message by the manager's bridge reads it as it reads a parsed frame.
Frame frame_view(const Envelope& envelope);

/// The OCPP-J frame for an envelope going to a station or coming from one:
/// type 2 -> [2,id,action,request], type 3 -> [3,id,response], type 4 -> [4,id,code,description,details].
std::string frame_of(const Envelope& envelope);
/// The inverse: the envelope of a parsed frame (type, id; a CALL's action and request, a
/// CALLRESULT's response, a CALLERROR's fields). What a frame does not carry (the action and request
/// an answer belongs to, state) is the caller's to add.
Envelope envelope_of(Frame&& frame);

enum class TopicKind : std::uint8_t { in, out, event, control, registry, gateway_status };

struct Topic {
  TopicKind kind = TopicKind::in;
  std::optional<Version> version;  // in, out, event
  std::string station_id;          // in, out, event, control, registry
  std::string gateway_id;          // gateway_status
};

/// "<prefix>/in/ocpp2.0.1/CS1" etc. Station ids are percent-encoded where MQTT would misread them
/// ('/', '+', '#', '%' and control characters); everything else is kept as is, so MaEVe's topics
/// for ordinary ids are unchanged.
std::string station_topic(std::string_view prefix, TopicKind kind, Version version, std::string_view station_id);
std::string control_topic(std::string_view prefix, std::string_view station_id);
std::string registry_topic(std::string_view prefix, std::string_view station_id);
std::string gateway_status_topic(std::string_view prefix, std::string_view gateway_id);
/// The inverse of the builders above (prefix must match); nullopt for anything else.
std::optional<Topic> parse_topic(std::string_view prefix, std::string_view topic);

/// The subscription filters. shared_group empty: a plain subscription.
std::string in_filter(std::string_view prefix, Version version, std::string_view shared_group);
std::string event_filter(std::string_view prefix, std::string_view shared_group);
std::string out_filter(std::string_view prefix);             // <prefix>/out/#
std::string control_filter(std::string_view prefix);         // <prefix>/control/#
std::string registry_filter(std::string_view prefix);        // <prefix>/registry/#
std::string gateway_status_filter(std::string_view prefix);  // <prefix>/gateway/+/status

/// A connection event (topic <prefix>/event/...):
///   {"event":"connected"|"disconnected","gateway":"gw-1","session":"gw-1/17","remoteAddress":"ip:port",
///    "at":"2026-11-25T10:00:00.000Z","reason":"..."}   (reason for disconnected only)
struct ConnectionEvent {
  bool connected = true;
  std::string gateway;
  std::string session;  // unique per websocket connection: "<gateway>/<counter>"
  std::string remote_address;
  std::int64_t at_ms = 0;  // gateway wall clock, unix ms
  std::string reason;
};
std::string encode_connection_event(const ConnectionEvent& event);
Expected<ConnectionEvent, std::string> decode_connection_event(std::string_view json);

/// A control command (topic <prefix>/control/<stationId>): {"command":"close","code":1008,"reason":"..."}
/// with an optional "session": only the connection of that session is closed.
struct ControlCommand {
  std::string command = "close";
  std::uint16_t code = 1000;
  std::string reason;
  std::string session;  // "" = whichever connection the station has
};
std::string encode_control_command(const ControlCommand& command);
Expected<ControlCommand, std::string> decode_control_command(std::string_view json);

/// The partition that owns a station when several managers share the stations
/// (docs/cluster.md "Several managers"): FNV-1a 64 of the id's bytes, modulo `partitions`. Stable
/// across processes, versions and machines: anything that routes by partition computes it alike.
std::uint32_t station_partition(std::string_view station_id, std::uint32_t partitions);

}  // namespace evbroker::ocpp
