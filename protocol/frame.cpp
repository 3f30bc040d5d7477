#include "protocol/frame.hpp"

#include "protocol/decode.hpp"
#include "protocol/detail/padded_parser.hpp"
#include "protocol/utf8.hpp"

namespace evbroker::ocpp {
namespace {

using Result = Expected<Frame, FrameError>;

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Best effort for frames we will not parse (too large, not JSON): read `[<type>, "<id>"` from the
/// start of the text so the CALLERROR can still carry the station's message id.
void scan_prefix(std::string_view text, FrameError& error) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  skip();
  if (i >= text.size() || text[i++] != '[') return;
  skip();
  // The message type: any integer, so that the id of a frame with an unknown type is found too.
  const std::size_t digits = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == digits || i - digits > 9) return;
  if (i - digits == 1 && text[digits] >= '2' && text[digits] <= '4')
    error.type = static_cast<MessageType>(text[digits] - '0');
  skip();
  if (i >= text.size() || text[i++] != ',') return;
  skip();
  if (i >= text.size() || text[i++] != '"') return;
  std::size_t start = i;
  while (i < text.size() && i - start <= kMaxMessageIdLength && text[i] != '"' && text[i] != '\\') ++i;
  if (i < text.size() && text[i] == '"') error.message_id = std::string(text.substr(start, i - start));
}

Result fail(FrameErrc code, std::string detail, const std::optional<std::string>& id = std::nullopt,
            std::optional<MessageType> type = std::nullopt) {
  return Unexpected(FrameError{code, std::move(detail), id, type});
}

std::string_view trim_end(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Result parse_envelope(std::string_view text, const FrameOptions& options);

}  // namespace

Result parse_frame(std::string_view text, const FrameOptions& options) {
  auto result = parse_envelope(text, options);
  if (result && options.check_payload && result->type != MessageType::call_error) {
    // The payload is level 2 of the frame.
    const auto depth = options.max_depth == 0 ? 0 : options.max_depth - 1;
    if (auto check = check_json(result->payload, depth); !check) {
      const auto code = check.status == JsonCheck::too_deep ? FrameErrc::too_deep : FrameErrc::not_json;
      return Unexpected(
          FrameError{code, "the payload: " + std::string(check.why) + " (at byte " + std::to_string(check.offset) + ")",
                     result->message_id, result->type});
    }
  }
  if (result || result.error().code == FrameErrc::too_large || result.error().code == FrameErrc::not_json ||
      result.error().code == FrameErrc::too_deep)
    return result;
  // The envelope parse reads lazily; a frame that is not JSON at all (or nests too deep) must say
  // so, whatever else was noticed first.
  if (auto check = check_json(text, options.max_depth); !check) {
    const auto code = check.status == JsonCheck::too_deep ? FrameErrc::too_deep : FrameErrc::not_json;
    FrameError error{code, std::string(check.why) + " (at byte " + std::to_string(check.offset) + ")",
                     result.error().message_id, result.error().type};
    if (!error.message_id) scan_prefix(text, error);
    return Unexpected(std::move(error));
  }
  return result;
}

namespace {

Result parse_envelope(std::string_view text, const FrameOptions& options) {
  if (text.size() > options.max_frame_bytes) {
    FrameError error{FrameErrc::too_large,
                     "frame of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                         std::to_string(options.max_frame_bytes),
                     {},
                     {}};
    scan_prefix(text, error);
    return Unexpected(std::move(error));
  }

  auto& parser = detail::thread_parser();
  json::document doc;
  json::array elements;
  auto not_json = [&text](simdjson::error_code err) {
    FrameError error{FrameErrc::not_json, simdjson::error_message(err), {}, {}};
    scan_prefix(text, error);
    return Unexpected(std::move(error));
  };
  if (auto err = parser.iterate(text).get(doc)) return not_json(err);
  json::json_type root_type;
  if (auto err = doc.type().get(root_type)) return not_json(err);
  if (root_type != json::json_type::array) return fail(FrameErrc::not_array, "a frame must be a JSON array");
  if (auto err = doc.get_array().get(elements)) return not_json(err);

  Frame frame;
  std::optional<std::string> id;
  std::optional<MessageType> type;
  std::size_t arity = 0;  // elements the message type requires
  std::size_t index = 0;
  DecodeContext ctx{DecodeOptions{.tolerant = false, .max_depth = options.max_depth}};

  for (auto element : elements) {
    json::value v;
    if (auto err = element.get(v)) return not_json(err);
    if (arity != 0 && index >= arity)
      return fail(FrameErrc::wrong_arity, "more than " + std::to_string(arity) + " elements", id, type);
    switch (index) {
      case 0: {
        std::int64_t number = 0;
        if (auto err = v.get_int64().get(number)) {
          if (err != simdjson::INCORRECT_TYPE && err != simdjson::NUMBER_OUT_OF_RANGE) return not_json(err);
          return fail(FrameErrc::bad_message_type, "the message type id must be an integer");
        }
        if (number < 2 || number > 4) {
          // Answered with the frame's own message id when it can be read, so the sender can match it.
          FrameError error{
              FrameErrc::unknown_message_type, "unknown message type id " + std::to_string(number), {}, {}};
          scan_prefix(text, error);
          return Unexpected(std::move(error));
        }
        type = static_cast<MessageType>(number);
        frame.type = *type;
        arity = *type == MessageType::call ? 4 : *type == MessageType::call_result ? 3 : 5;
        break;
      }
      case 1: {
        std::string_view s;
        if (auto err = v.get_string().get(s)) {
          if (err != simdjson::INCORRECT_TYPE) return not_json(err);
          return fail(FrameErrc::bad_message_id, "the message id must be a string", std::nullopt, type);
        }
        if (count_code_points(s) > kMaxMessageIdLength)
          return fail(FrameErrc::message_id_too_long, "the message id is longer than 36 characters", std::nullopt,
                      type);
        id = std::string(s);
        break;
      }
      case 2:
        if (frame.type == MessageType::call_result) {
          json::object payload;
          std::string_view raw;
          if (v.get_object().get(payload) || payload.raw_json().get(raw))
            return fail(FrameErrc::bad_payload, "the payload must be a JSON object", id, type);
          frame.payload = trim_end(text.substr(static_cast<std::size_t>(raw.data() - parser.base()), raw.size()));
        } else {
          std::string_view s;
          if (v.get_string().get(s)) {
            return frame.type == MessageType::call
                       ? fail(FrameErrc::bad_action, "the action must be a string", id, type)
                       : fail(FrameErrc::bad_error_fields, "the error code must be a string", id, type);
          }
          (frame.type == MessageType::call ? frame.action : frame.error_code) = std::string(s);
        }
        break;
      case 3:
        if (frame.type == MessageType::call) {
          json::object payload;
          std::string_view raw;
          if (v.get_object().get(payload) || payload.raw_json().get(raw))
            return fail(FrameErrc::bad_payload, "the payload must be a JSON object", id, type);
          frame.payload = trim_end(text.substr(static_cast<std::size_t>(raw.data() - parser.base()), raw.size()));
        } else {
          std::string_view s;
          if (v.get_string().get(s))
            return fail(FrameErrc::bad_error_fields, "the error description must be a string", id, type);
          frame.error_description = std::string(s);
        }
        break;
      case 4: {
        AnyJson details;
        json::json_type t;
        bool is_object = !v.type().get(t) && t == json::json_type::object;
        if (!is_object && !options.tolerant)
          return fail(FrameErrc::bad_payload, "the error details must be a JSON object", id, type);
        PathScope at(ctx, index);  // the details are level 2 of the frame
        if (!read_any(v, details, ctx)) {
          const auto code = ctx.error().code;
          return fail(code == DecodeErrc::too_deep       ? FrameErrc::too_deep
                      : code == DecodeErrc::invalid_json ? FrameErrc::not_json
                                                         : FrameErrc::bad_payload,
                      "the error details: " + ctx.error().message(), id, type);
        }
        frame.error_details = is_object ? std::move(details.json) : std::string("{}");
        break;
      }
      default: break;
    }
    ++index;
  }
  if (index == 0) return fail(FrameErrc::wrong_arity, "the frame is an empty array");
  bool tolerated_short_error = options.tolerant && frame.type == MessageType::call_error && index == 4;
  if (index < arity && !tolerated_short_error)
    return fail(FrameErrc::wrong_arity, "expected " + std::to_string(arity) + " elements, got " + std::to_string(index),
                id, type);
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return fail(FrameErrc::not_json, "content after the frame", id, type);
  if (frame.type == MessageType::call_error && frame.error_details.empty()) frame.error_details = "{}";
  frame.message_id = std::move(*id);
  return frame;
}

}  // namespace

std::string_view describe(FrameErrc code) noexcept {
  switch (code) {
    case FrameErrc::too_large: return "frame too large";
    case FrameErrc::too_deep: return "frame nested too deep";
    case FrameErrc::not_json: return "frame is not valid JSON";
    case FrameErrc::not_array: return "frame is not a JSON array";
    case FrameErrc::wrong_arity: return "wrong number of frame elements";
    case FrameErrc::bad_message_type: return "message type id is not an integer";
    case FrameErrc::unknown_message_type: return "unknown message type id";
    case FrameErrc::bad_message_id: return "message id is not a string";
    case FrameErrc::message_id_too_long: return "message id too long";
    case FrameErrc::bad_action: return "action is not a string";
    case FrameErrc::bad_payload: return "payload is not a JSON object";
    case FrameErrc::bad_error_fields: return "malformed CALLERROR";
  }
  return "malformed frame";
}

// ---- building ----------------------------------------------------------------------------------

void write_call(JsonWriter& w, std::string_view message_id, std::string_view action, std::string_view payload) {
  w.raw("[2,");
  w.string(message_id);
  w.raw(',');
  w.string(action);
  w.raw(',');
  w.raw(payload);
  w.raw(']');
}

void write_call_result(JsonWriter& w, std::string_view message_id, std::string_view payload) {
  w.raw("[3,");
  w.string(message_id);
  w.raw(',');
  w.raw(payload);
  w.raw(']');
}

void write_call_error(JsonWriter& w, std::string_view message_id, std::string_view error_code,
                      std::string_view description, std::string_view details) {
  w.raw("[4,");
  w.string(message_id);
  w.raw(',');
  w.string(error_code);
  w.raw(',');
  w.string(description);
  w.raw(',');
  w.raw(details.empty() ? std::string_view{"{}"} : details);
  w.raw(']');
}

std::string call_frame(std::string_view message_id, std::string_view action, std::string_view payload) {
  std::string out;
  JsonWriter w(out);
  write_call(w, message_id, action, payload);
  return out;
}

std::string call_result_frame(std::string_view message_id, std::string_view payload) {
  std::string out;
  JsonWriter w(out);
  write_call_result(w, message_id, payload);
  return out;
}

std::string call_error_frame(std::string_view message_id, std::string_view error_code, std::string_view description,
                             std::string_view details) {
  std::string out;
  JsonWriter w(out);
  write_call_error(w, message_id, error_code, description, details);
  return out;
}

}  // namespace evbroker::ocpp
