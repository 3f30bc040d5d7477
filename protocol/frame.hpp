#pragma once
// OCPP-J RPC framing (OCPP-J 1.6 section 4, OCPP 2.0.1 part 4 section 4):
//   CALL        [2, "<messageId>", "<action>", {payload}]
//   CALLRESULT  [3, "<messageId>", {payload}]
//   CALLERROR   [4, "<messageId>", "<errorCode>", "<errorDescription>", {errorDetails}]
// parse_frame checks the envelope only and keeps the payload as raw JSON text for the typed
// decoder of the action (see the generated actions.hpp), so a frame is never parsed into a DOM.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"
#include "protocol/json_check.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::ocpp {

enum class MessageType : std::uint8_t { call = 2, call_result = 3, call_error = 4 };

/// Message ids are strings of at most 36 characters in both 1.6 and 2.0.1.
inline constexpr std::size_t kMaxMessageIdLength = 36;

struct FrameOptions {
  /// Frames longer than this are refused before any parsing.
  std::size_t max_frame_bytes = 256 * 1024;
  /// Nesting depth allowed in the whole frame (the frame array is level 1, a payload object 2; see
  /// json_check.hpp). 0 means no limit.
  std::size_t max_depth = kDefaultMaxJsonDepth;
  /// Also check the whole payload of a CALL or CALLRESULT (well-formed, within max_depth) instead of
  /// leaving that to its decoder: for a gateway, which passes payloads on without decoding them.
  bool check_payload = false;
  /// Accept what real chargers send off-spec: a CALLERROR without errorDetails (or with details
  /// that are not an object).
  bool tolerant = false;
};

struct Frame {
  MessageType type = MessageType::call;
  std::string message_id;
  std::string action;             // CALL only
  std::string_view payload;       // CALL, CALLRESULT: the payload object as raw JSON text, a view
                                  // into the text given to parse_frame
  std::string error_code;         // CALLERROR only
  std::string error_description;  // CALLERROR only
  std::string error_details;      // CALLERROR only: compact JSON object, "{}" when absent
};

enum class FrameErrc : std::uint8_t {
  too_large,             // longer than FrameOptions::max_frame_bytes
  too_deep,              // nested deeper than FrameOptions::max_depth
  not_json,              // not well-formed JSON
  not_array,             // the frame is not a JSON array
  wrong_arity,           // too few or too many elements for the message type
  bad_message_type,      // the first element is not an integer
  unknown_message_type,  // an integer other than 2, 3, 4
  bad_message_id,        // the message id is not a string
  message_id_too_long,   // longer than 36 characters
  bad_action,            // a CALL whose action is not a string
  bad_payload,           // the payload (or errorDetails) is not a JSON object
  bad_error_fields,      // a CALLERROR whose code or description is not a string
};

std::string_view describe(FrameErrc code) noexcept;

struct FrameError {
  FrameErrc code = FrameErrc::not_json;
  std::string detail;
  /// The message id when it could be read; answer with "-1" otherwise (OCPP 2.0.1 part 4).
  std::optional<std::string> message_id;
  /// The message type when it could be read. Only a broken CALL is answered (with a CALLERROR);
  /// a broken CALLRESULT or CALLERROR is logged and dropped, since answering one is not allowed.
  std::optional<MessageType> type;
};

Expected<Frame, FrameError> parse_frame(std::string_view text, const FrameOptions& options = {});

// ---- building frames ---------------------------------------------------------------------------
// Payloads are JSON text produced by an encoder (or checked by a decoder) and are copied verbatim.

void write_call(JsonWriter& w, std::string_view message_id, std::string_view action, std::string_view payload);
void write_call_result(JsonWriter& w, std::string_view message_id, std::string_view payload);
void write_call_error(JsonWriter& w, std::string_view message_id, std::string_view error_code,
                      std::string_view description, std::string_view details = "{}");

std::string call_frame(std::string_view message_id, std::string_view action, std::string_view payload);
std::string call_result_frame(std::string_view message_id, std::string_view payload);
std::string call_error_frame(std::string_view message_id, std::string_view error_code, std::string_view description,
                             std::string_view details = "{}");

}  // namespace evbroker::ocpp
