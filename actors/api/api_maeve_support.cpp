// What the maintained MaEVe fork's handlers share (api_maeve.hpp).

#include "actors/api/api_maeve.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>

#include "actors/api/station_call.hpp"
#include "actors/records/json_read.hpp"
#include "actors/station/csms_call.hpp"
#include "protocol/ocpp_dispatch.hpp"

namespace evbroker::actors::api::maeve {

void Object::key(std::string_view name) {
  if (body_.size() > 1) body_ += ',';
  ocpp::JsonWriter w(body_);
  w.string(name);
  body_ += ':';
}

Object& Object::str(std::string_view name, std::string_view value) {
  key(name);
  ocpp::JsonWriter(body_).string(value);
  return *this;
}

Object& Object::num(std::string_view name, std::int64_t value) {
  key(name);
  ocpp::JsonWriter(body_).integer(value);
  return *this;
}

Object& Object::real(std::string_view name, double value) {
  key(name);
  ocpp::JsonWriter(body_).number(value);
  return *this;
}

Object& Object::boolean(std::string_view name, bool value) {
  key(name);
  body_ += value ? "true" : "false";
  return *this;
}

Object& Object::raw(std::string_view name, std::string_view json) {
  if (json.empty()) return *this;
  key(name);
  body_ += json;
  return *this;
}

std::string array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  return out + "]";
}

std::string quoted(std::string_view text) {
  std::string out;
  ocpp::JsonWriter(out).string(text);
  return out;
}

namespace {

/// The call checked against the station's version and schema, ready to send; answers 400 and
/// gives nullopt when it is not.
std::optional<CsmsCall> checked_call(Request& r, const StationDirectory::Entry& station, const Call& call) {
  auto action = find_action(station.version, call.action);
  if (!action) {
    r.respond(error_response(400, call.action + " is not an action of " + version_name(station) +
                                      ": this operation is not available for the station's OCPP version"));
    return std::nullopt;
  }
  auto decoded =
      decode_request(*action, call.payload, {.tolerant = false, .max_depth = r.ctx->settings.max_json_depth});
  if (!decoded) {
    r.respond(error_response(400, call.action + ": " + decoded.error().message()));
    return std::nullopt;
  }
  CsmsCall out{*action, std::move(*decoded)};
  out.ticket = next_call_ticket();
  return out;
}

void withdraw_when_abandoned(Request& r, const StationDirectory::Entry& station, std::uint64_t ticket) {
  if (r.http.watch)
    r.http.watch->on_abandoned(
        [actor = station.actor, ticket] { caf::anon_send(actor, withdraw_atom::value, ticket); });
}

}  // namespace

void send(Request& r, const StationDirectory::Entry& station, Call call, int status, Mapper map) {
  auto checked = checked_call(r, station, call);
  if (!checked) return;
  withdraw_when_abandoned(r, station, checked->ticket);
  spawn_csms_call(*r.system, station.actor, std::move(*checked), r.ctx->settings,
                  [respond = r.respond, status, map = std::move(map)](CsmsCallResult result) {
                    if (result.kind != CsmsCallResult::Kind::result) return respond(call_result_response(result));
                    if (!map) return respond(json_response(status, result.payload));
                    simdjson::dom::parser parser;
                    simdjson::dom::element answer;
                    if (parser.parse(result.payload).get(answer) != simdjson::SUCCESS || !answer.is_object())
                      return respond(json_response(status, result.payload));
                    respond(json_response(status, map(answer, result.payload)));
                  });
}

namespace {

struct Sequence {
  caf::actor_system* system = nullptr;
  StationDirectory::Entry station;
  NodeContextPtr ctx;
  transport::Responder respond;
  std::vector<CsmsCall> calls;
  std::vector<std::string> payloads;
  int status = 200;
  Combine combine;
};

void next(std::shared_ptr<Sequence> seq) {
  if (seq->payloads.size() == seq->calls.size())
    return seq->respond(json_response(seq->status, seq->combine(seq->payloads)));
  auto call = seq->calls[seq->payloads.size()];
  spawn_csms_call(*seq->system, seq->station.actor, std::move(call), seq->ctx->settings, [seq](CsmsCallResult result) {
    if (result.kind != CsmsCallResult::Kind::result) return seq->respond(call_result_response(result));
    seq->payloads.push_back(std::move(result.payload));
    next(seq);
  });
}

}  // namespace

void send_all(Request& r, const StationDirectory::Entry& station, std::vector<Call> calls, int status,
              Combine combine) {
  auto seq = std::make_shared<Sequence>();
  for (const auto& call : calls) {
    auto checked = checked_call(r, station, call);
    if (!checked) return;
    seq->calls.push_back(std::move(*checked));
  }
  seq->system = r.system;
  seq->station = station;
  seq->ctx = r.ctx;
  seq->respond = r.respond;
  seq->status = status;
  seq->combine = std::move(combine);
  next(seq);
}

namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && ptr == end;
}

}  // namespace

std::optional<std::int64_t> query_int(Request& r, std::string_view name, std::int64_t lo, std::int64_t hi, bool& bad) {
  const auto text = r.query_value(name);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  if (!parse_int(text, value) || value < lo || value > hi) {
    bad = true;
    r.respond(error_response(400, std::string(name) + ": expected an integer from " + std::to_string(lo) + " to " +
                                      std::to_string(hi) + ", got '" + text + "'"));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> path_int(Request& r, std::size_t segment, std::string_view name) {
  std::int64_t value = 0;
  const auto& text = r.segments.at(segment);
  if (!parse_int(text, value) || value < 0 || value > 2147483647) {
    r.respond(error_response(400, std::string(name) + ": expected an integer >= 0, got '" + text + "'"));
    return std::nullopt;
  }
  return value;
}

std::int64_t new_request_id(const Request& r) { return unique_request_id(r.ctx->clock->now_ms()); }

std::int64_t unique_request_id(std::int64_t now_ms) {
  // The time in seconds, so ids keep rising across restarts, but never the same twice in a process:
  // two requests in one second (a second UpdateFirmware cancelling the first) need ids of their own,
  // or the station's status notifications could not be told apart.
  static std::atomic<std::int64_t> last{0};
  const std::int64_t now = (now_ms / 1000) % 2147483647;
  std::int64_t previous = last.load();
  std::int64_t next = 0;
  do {
    next = std::max(now, previous + 1) % 2147483647;
  } while (!last.compare_exchange_weak(previous, next));
  return next;
}

std::string central_id_token(std::string_view id_tag) {
  return Object().str("idToken", id_tag).str("type", "Central").text();
}

std::optional<std::string> string_member(std::string_view json, std::string_view name) {
  simdjson::dom::object o;
  if (json::thread_parser().parse(json.data(), json.size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  return json::get_string(o, name);
}

std::string version_name(const StationDirectory::Entry& station) {
  return std::string(ocpp::subprotocol(station.version));
}

}  // namespace evbroker::actors::api::maeve
