#include "protocol/mqtt_envelope.hpp"

#include <simdjson.h>

#include <utility>

#include "protocol/date_time.hpp"
#include "protocol/decode.hpp"
#include "protocol/detail/padded_parser.hpp"
#include "protocol/json_check.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/utf8.hpp"

namespace evbroker::ocpp {
namespace {

namespace json = simdjson::ondemand;

using Error = std::optional<std::string>;  // nullopt = fine

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// ---- reading ------------------------------------------------------------------------------------

/// Parses `text` as one JSON object and hands each member to `on_member(key, value)`, which returns
/// an error to stop. The whole text is checked first (json_check.hpp): on-demand parsing only
/// checks what it visits, and raw members are copied verbatim into frames for stations, so a
/// malformed value inside them must not get through.
template <class OnMember>
Error for_each_member(std::string_view text, std::size_t max_depth, OnMember&& on_member) {
  if (auto check = check_json(text, max_depth); !check) {
    if (check.status == JsonCheck::too_deep)
      return "nested deeper than " + std::to_string(max_depth) + " levels (at byte " + std::to_string(check.offset) +
             ")";
    return "malformed JSON: " + std::string(check.why) + " (at byte " + std::to_string(check.offset) + ")";
  }

  // Our own parser and padded copy, not detail::thread_parser(): a caller may still hold views
  // into a document of that one (a frame being handled while its envelope is decoded).
  thread_local json::parser parser;
  simdjson::padded_string padded(text);
  json::document doc;
  json::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return std::string("expected a JSON object");
  for (auto member : object) {
    json::field field;
    std::string_view key;
    if (std::move(member).get(field) || field.unescaped_key().get(key)) return std::string("malformed JSON");
    json::value value = field.value();
    if (auto error = on_member(key, value)) return error;
  }
  // OUT_OF_BOUNDS is simdjson's way of saying every token was consumed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return std::string("content after the object");
  return std::nullopt;
}

Error field_error(std::string_view field, std::string_view what) {
  std::string out(field);
  out.append(": ").append(what);
  return out;
}

Error read_string(json::value& v, std::string_view field, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return field_error(field, "expected a string");
  out.assign(s);
  return std::nullopt;
}

/// A non-empty string: identifiers that are useless when empty.
Error read_name(json::value& v, std::string_view field, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s) || s.empty()) return field_error(field, "expected a non-empty string");
  out.assign(s);
  return std::nullopt;
}

/// Any JSON value as its text, trimmed. Containers are skipped over to find where they end;
/// scalars are a single token.
Error read_raw(json::value& v, std::string_view field, std::string& out) {
  json::json_type type;
  std::string_view raw;
  if (v.type().get(type)) return field_error(field, "expected a JSON value");
  if (type == json::json_type::object) {
    json::object o;
    if (v.get_object().get(o) || o.raw_json().get(raw)) return field_error(field, "expected a JSON object");
  } else if (type == json::json_type::array) {
    json::array a;
    if (v.get_array().get(a) || a.raw_json().get(raw)) return field_error(field, "expected a JSON array");
  } else {
    raw = v.raw_json_token();
  }
  out.assign(trim(raw));
  return std::nullopt;
}

Error read_raw_object(json::value& v, std::string_view field, std::string& out) {
  json::json_type type;
  if (v.type().get(type) || type != json::json_type::object) return field_error(field, "expected a JSON object");
  return read_raw(v, field, out);
}

/// A CALLERROR's details, read as the frame parser reads them (read_any: no deeper than the limit,
/// numbers the node can represent), so that every envelope decoded makes a frame that parses. The
/// long fuzz campaign found envelopes whose details held 2^64 or -2^63-1: accepted here, their
/// frame was refused by the station actor that had to pass it on.
Error read_error_details(json::value& v, std::string_view field, std::string& out, std::size_t max_depth) {
  json::json_type type;
  if (v.type().get(type) || type != json::json_type::object) return field_error(field, "expected a JSON object");
  DecodeContext ctx(DecodeOptions{.max_depth = max_depth});
  PathScope at(ctx, field);  // level 2 of the envelope, as of the frame
  AnyJson details;
  if (!read_any(v, details, ctx)) return field_error(field, ctx.error().message());
  // Empty details are no details, as the encoder writes them: "" and "{}" must not make two
  // envelopes of one (the long campaign found that too, once the numbers above were fixed).
  out = details.json == "{}" ? std::string() : std::move(details.json);
  return std::nullopt;
}

template <class T>
Expected<T, std::string> result_of(Error error, T value) {
  if (error) return Unexpected(std::move(*error));
  return value;
}

// ---- writing ------------------------------------------------------------------------------------

/// Writes `,"key":` (or `{"key":` for the first member); `key` must need no escaping.
void key(JsonWriter& w, bool& first, std::string_view name) {
  w.raw(first ? '{' : ',');
  first = false;
  w.raw('"');
  w.raw(name);
  w.raw("\":");
}

void string_member(JsonWriter& w, bool& first, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  key(w, first, name);
  w.string(value);
}

void raw_member(JsonWriter& w, bool& first, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  key(w, first, name);
  w.raw(value);
}

// ---- topics -------------------------------------------------------------------------------------

/// Bytes MQTT would misread in a topic level: the separator, the wildcards, our escape character,
/// and control characters (which brokers may refuse).
bool needs_percent(unsigned char c) noexcept {
  return c == '/' || c == '+' || c == '#' || c == '%' || c < 0x20 || c == 0x7f;
}

void append_encoded(std::string& out, std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (!needs_percent(c)) {
      out.push_back(ch);
      continue;
    }
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// The inverse of append_encoded; nullopt for a bad escape or an empty id.
std::optional<std::string> decode_id(std::string_view level) {
  std::string out;
  for (std::size_t i = 0; i < level.size(); ++i) {
    if (level[i] != '%') {
      out.push_back(level[i]);
      continue;
    }
    if (i + 2 >= level.size()) return std::nullopt;  // "%" or "%X" at the end
    int hi = hex_value(level[i + 1]), lo = hex_value(level[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

/// "<prefix>/", or nothing for an empty prefix (a topic must not start with an empty level).
std::string begin(std::string_view prefix) {
  std::string out(prefix);
  if (!out.empty()) out.push_back('/');
  return out;
}

std::string shared(std::string_view group, std::string filter) {
  if (group.empty()) return filter;
  return "$share/" + std::string(group) + "/" + filter;
}

/// Only the versions MaEVe has topics for: a 2.1 station cannot be routed through a MaEVe peer.
std::optional<Version> topic_version(std::string_view level) {
  auto v = version_from_subprotocol(level);
  if (v == Version::v21) return std::nullopt;
  return v;
}

}  // namespace

// ---- envelope -----------------------------------------------------------------------------------

std::string encode_envelope(const Envelope& envelope) {
  std::string out;
  JsonWriter w(out);
  bool first = true;
  key(w, first, "type");
  w.integer(static_cast<int>(envelope.type));
  string_member(w, first, "action", envelope.action);
  string_member(w, first, "id", envelope.id);
  raw_member(w, first, "request", envelope.request);
  raw_member(w, first, "response", envelope.response);
  string_member(w, first, "error_code", envelope.error_code);
  string_member(w, first, "error_description", envelope.error_description);
  // "{}" is what a CALLERROR without details carries anyway: not worth the bytes.
  if (envelope.error_details != "{}") raw_member(w, first, "error_details", envelope.error_details);
  raw_member(w, first, "state", envelope.state);
  w.raw('}');
  return out;
}

Expected<Envelope, std::string> decode_envelope(std::string_view json_text, std::size_t max_depth) {
  Envelope e;
  bool has_type = false;
  auto error = for_each_member(json_text, max_depth, [&](std::string_view k, json::value& v) -> Error {
    if (k == "type") {
      std::int64_t n = 0;
      if (v.get_int64().get(n) || n < 2 || n > 4) return field_error(k, "expected 2, 3 or 4");
      e.type = static_cast<MessageType>(n);
      has_type = true;
      return std::nullopt;
    }
    if (k == "id") {
      std::string_view s;
      if (v.get_string().get(s) || s.empty() || count_code_points(s) > kMaxMessageIdLength)
        return field_error(k, "expected a non-empty string of at most 36 characters");
      e.id.assign(s);
      return std::nullopt;
    }
    if (k == "action") return read_string(v, k, e.action);
    if (k == "request") return read_raw_object(v, k, e.request);
    if (k == "response") return read_raw_object(v, k, e.response);
    if (k == "error_code") return read_string(v, k, e.error_code);
    if (k == "error_description") return read_string(v, k, e.error_description);
    if (k == "error_details") return read_error_details(v, k, e.error_details, max_depth);
    if (k == "state") return read_raw(v, k, e.state);
    return std::nullopt;  // unknown fields: MaEVe may add its own
  });
  if (error) return Unexpected(std::move(*error));
  if (!has_type) return Unexpected(std::string("type: expected 2, 3 or 4"));
  if (e.id.empty()) return Unexpected(std::string("id: expected a non-empty string of at most 36 characters"));
  // Empty strings count as absent: the encoder omits them, and a frame with an empty action or
  // error code would be refused by the station anyway.
  switch (e.type) {
    case MessageType::call:
      if (e.action.empty()) return Unexpected(std::string("action: required for a type 2"));
      if (e.request.empty()) return Unexpected(std::string("request: required for a type 2"));
      break;
    case MessageType::call_result:
      if (e.response.empty()) return Unexpected(std::string("response: required for a type 3"));
      break;
    case MessageType::call_error:
      if (e.error_code.empty()) return Unexpected(std::string("error_code: required for a type 4"));
      break;
  }
  return e;
}

std::string frame_of(const Envelope& envelope) {
  // A payload is never empty in a decoded envelope; "{}" keeps a hand-built one a valid frame.
  auto object_or_empty = [](const std::string& raw) {
    return raw.empty() ? std::string_view{"{}"} : std::string_view{raw};
  };
  switch (envelope.type) {
    case MessageType::call: return call_frame(envelope.id, envelope.action, object_or_empty(envelope.request));
    case MessageType::call_result: return call_result_frame(envelope.id, object_or_empty(envelope.response));
    case MessageType::call_error:
      return call_error_frame(envelope.id, envelope.error_code, envelope.error_description,
                              object_or_empty(envelope.error_details));
  }
  return {};
}

Envelope call_message(std::string id, std::string action, std::string request) {
  Envelope envelope;
  envelope.type = MessageType::call;
  envelope.id = std::move(id);
  envelope.action = std::move(action);
  envelope.request = std::move(request);
  return envelope;
}

Envelope call_result_message(std::string id, std::string response) {
  Envelope envelope;
  envelope.type = MessageType::call_result;
  envelope.id = std::move(id);
  envelope.response = std::move(response);
  return envelope;
}

Envelope call_error_message(std::string id, std::string code, std::string description, std::string details) {
  Envelope envelope;
  envelope.type = MessageType::call_error;
  envelope.id = std::move(id);
  envelope.error_code = std::move(code);
  envelope.error_description = std::move(description);
  envelope.error_details = std::move(details);
  return envelope;
}

Frame frame_view(const Envelope& envelope) {
  Frame frame;
  frame.type = envelope.type;
  frame.message_id = envelope.id;
  switch (envelope.type) {
    case MessageType::call:
      frame.action = envelope.action;
      frame.payload = envelope.request;
      break;
    case MessageType::call_result: frame.payload = envelope.response; break;
    case MessageType::call_error:
      frame.error_code = envelope.error_code;
      frame.error_description = envelope.error_description;
      frame.error_details = envelope.error_details.empty() ? "{}" : envelope.error_details;
      break;
  }
  return frame;
}

Envelope envelope_of(Frame&& frame) {
  Envelope envelope;
  envelope.type = frame.type;
  envelope.id = std::move(frame.message_id);
  switch (frame.type) {
    case MessageType::call:
      envelope.action = std::move(frame.action);
      envelope.request = std::string(frame.payload);
      break;
    case MessageType::call_result: envelope.response = std::string(frame.payload); break;
    case MessageType::call_error:
      envelope.error_code = std::move(frame.error_code);
      envelope.error_description = std::move(frame.error_description);
      envelope.error_details = std::move(frame.error_details);
      break;
  }
  return envelope;
}

// ---- topics -------------------------------------------------------------------------------------

std::string station_topic(std::string_view prefix, TopicKind kind, Version version, std::string_view station_id) {
  std::string out = begin(prefix);
  switch (kind) {
    case TopicKind::in: out.append("in/"); break;
    case TopicKind::out: out.append("out/"); break;
    case TopicKind::event: out.append("event/"); break;
    // The kinds without a version have their own builders.
    case TopicKind::control: return control_topic(prefix, station_id);
    case TopicKind::registry: return registry_topic(prefix, station_id);
    case TopicKind::gateway_status: return gateway_status_topic(prefix, station_id);
  }
  out.append(subprotocol(version)).push_back('/');
  append_encoded(out, station_id);
  return out;
}

std::string control_topic(std::string_view prefix, std::string_view station_id) {
  std::string out = begin(prefix) + "control/";
  append_encoded(out, station_id);
  return out;
}

std::string registry_topic(std::string_view prefix, std::string_view station_id) {
  std::string out = begin(prefix) + "registry/";
  append_encoded(out, station_id);
  return out;
}

std::string gateway_status_topic(std::string_view prefix, std::string_view gateway_id) {
  // Gateway ids are encoded like station ids so that any id keeps the topic's shape.
  std::string out = begin(prefix) + "gateway/";
  append_encoded(out, gateway_id);
  out.append("/status");
  return out;
}

std::optional<Topic> parse_topic(std::string_view prefix, std::string_view topic) {
  // The prefix may span several levels ("site1/cs"), so it is matched as text, not as levels.
  const std::string head = begin(prefix);
  if (!topic.starts_with(head)) return std::nullopt;
  topic.remove_prefix(head.size());

  // Split the rest into at most 4 levels (one more than any topic of ours has, to notice extras).
  std::string_view levels[4];
  std::size_t count = 0;
  while (count < 4) {
    auto slash = topic.find('/');
    levels[count++] = topic.substr(0, slash);
    if (slash == std::string_view::npos) break;
    topic.remove_prefix(slash + 1);
  }

  Topic t;
  const std::string_view kind = levels[0];
  if (count == 3 && (kind == "in" || kind == "out" || kind == "event")) {
    t.kind = kind == "in" ? TopicKind::in : kind == "out" ? TopicKind::out : TopicKind::event;
    t.version = topic_version(levels[1]);
    auto id = decode_id(levels[2]);
    if (!t.version || !id) return std::nullopt;
    t.station_id = std::move(*id);
    return t;
  }
  if (count == 2 && (kind == "control" || kind == "registry")) {
    t.kind = kind == "control" ? TopicKind::control : TopicKind::registry;
    auto id = decode_id(levels[1]);
    if (!id) return std::nullopt;
    t.station_id = std::move(*id);
    return t;
  }
  if (count == 3 && kind == "gateway" && levels[2] == "status") {
    t.kind = TopicKind::gateway_status;
    auto id = decode_id(levels[1]);
    if (!id) return std::nullopt;
    t.gateway_id = std::move(*id);
    return t;
  }
  return std::nullopt;
}

std::string in_filter(std::string_view prefix, Version version, std::string_view shared_group) {
  return shared(shared_group, begin(prefix) + "in/" + std::string(subprotocol(version)) + "/#");
}

std::string event_filter(std::string_view prefix, std::string_view shared_group) {
  return shared(shared_group, begin(prefix) + "event/#");
}

std::string out_filter(std::string_view prefix) { return begin(prefix) + "out/#"; }
std::string control_filter(std::string_view prefix) { return begin(prefix) + "control/#"; }
std::string registry_filter(std::string_view prefix) { return begin(prefix) + "registry/#"; }
std::string gateway_status_filter(std::string_view prefix) { return begin(prefix) + "gateway/+/status"; }

// ---- connection events --------------------------------------------------------------------------

std::string encode_connection_event(const ConnectionEvent& event) {
  std::string out;
  JsonWriter w(out);
  bool first = true;
  key(w, first, "event");
  w.string(event.connected ? "connected" : "disconnected");
  key(w, first, "gateway");
  w.string(event.gateway);
  key(w, first, "session");
  w.string(event.session);
  string_member(w, first, "remoteAddress", event.remote_address);
  key(w, first, "at");
  w.string(DateTime::from_unix_ms(event.at_ms).to_string());
  if (!event.connected) string_member(w, first, "reason", event.reason);
  w.raw('}');
  return out;
}

Expected<ConnectionEvent, std::string> decode_connection_event(std::string_view json_text) {
  ConnectionEvent e;
  bool has_event = false;
  auto error = for_each_member(json_text, kDefaultMaxJsonDepth, [&](std::string_view k, json::value& v) -> Error {
    if (k == "event") {
      std::string_view s;
      if (v.get_string().get(s) || (s != "connected" && s != "disconnected"))
        return field_error(k, "expected \"connected\" or \"disconnected\"");
      e.connected = s == "connected";
      has_event = true;
      return std::nullopt;
    }
    if (k == "gateway") return read_name(v, k, e.gateway);
    if (k == "session") return read_name(v, k, e.session);
    if (k == "remoteAddress") return read_string(v, k, e.remote_address);
    if (k == "reason") return read_string(v, k, e.reason);
    if (k == "at") {
      std::string_view s;
      std::optional<DateTime> at;
      if (v.get_string().get(s) || !(at = DateTime::parse(s))) return field_error(k, "expected an RFC 3339 date-time");
      e.at_ms = at->unix_ms();
      return std::nullopt;
    }
    return std::nullopt;
  });
  if (!error && !has_event) error = field_error("event", "expected \"connected\" or \"disconnected\"");
  if (!error && e.gateway.empty()) error = field_error("gateway", "expected a non-empty string");
  if (!error && e.session.empty()) error = field_error("session", "expected a non-empty string");
  return result_of(std::move(error), std::move(e));
}

// ---- control commands ---------------------------------------------------------------------------

std::string encode_control_command(const ControlCommand& command) {
  std::string out;
  JsonWriter w(out);
  bool first = true;
  key(w, first, "command");
  w.string(command.command);
  key(w, first, "code");
  w.integer(command.code);
  string_member(w, first, "reason", command.reason);
  string_member(w, first, "session", command.session);
  w.raw('}');
  return out;
}

Expected<ControlCommand, std::string> decode_control_command(std::string_view json_text) {
  ControlCommand c;
  bool has_command = false, has_code = false;
  auto error = for_each_member(json_text, kDefaultMaxJsonDepth, [&](std::string_view k, json::value& v) -> Error {
    if (k == "command") {
      std::string_view s;
      if (v.get_string().get(s) || s != "close") return field_error(k, "expected \"close\"");
      has_command = true;
      return std::nullopt;
    }
    if (k == "code") {
      // 1000..4999: the websocket close codes an application may send (RFC 6455 section 7.4).
      std::int64_t n = 0;
      if (v.get_int64().get(n) || n < 1000 || n > 4999) return field_error(k, "expected an integer from 1000 to 4999");
      c.code = static_cast<std::uint16_t>(n);
      has_code = true;
      return std::nullopt;
    }
    if (k == "reason") return read_string(v, k, c.reason);
    if (k == "session") return read_string(v, k, c.session);
    return std::nullopt;
  });
  if (!error && !has_command) error = field_error("command", "expected \"close\"");
  if (!error && !has_code) error = field_error("code", "expected an integer from 1000 to 4999");
  return result_of(std::move(error), std::move(c));
}

std::uint32_t station_partition(std::string_view station_id, std::uint32_t partitions) {
  if (partitions <= 1) return 0;
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64: offset basis and prime
  for (unsigned char byte : station_id) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return static_cast<std::uint32_t>(hash % partitions);
}

}  // namespace evbroker::ocpp
