// Deterministic tests of the station actor (CAF 0.17's test coordinator: every message and every
// timeout happens when the test says so). Covered: the OCPP rule of one CSMS CALL in flight per
// station, the bounded queue behind it, call timeouts, late and mismatched answers, disconnects,
// and the routing of station CALLs (answered, refused, malformed).

#define CAF_SUITE station_actor
#include <caf/test/dsl.hpp>

#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "actors/blocks/handler_kit.hpp"
#include "actors/core/router.hpp"
#include "actors/station/station_actor.hpp"
#include "protocol/frame.hpp"

using namespace evbroker;
using namespace evbroker::actors;

namespace {

/// Stands in for a websocket: records what the actor sends.
class FakeConnection : public transport::Connection {
 public:
  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  void close(std::uint16_t code, std::string reason) override { closes.emplace_back(code, std::move(reason)); }
  void consumed() override { ++consumed_count; }
  const std::string& station_id() const override { return id; }
  const std::string& remote_address() const override { return id; }
  std::size_t pending_writes() const override { return 0; }

  std::string id = "CS1";
  std::vector<std::string> sent;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  int consumed_count = 0;
};

ocpp::Frame parse(const std::string& text) {
  auto frame = ocpp::parse_frame(text);
  CAF_REQUIRE(frame.has_value());
  return *frame;
}

/// A 2.0.1 call as the management API makes it: the action found, the payload decoded.
CsmsCall call_of(const std::string& action, const std::string& payload, std::uint64_t ticket = 0,
                 std::optional<std::chrono::steady_clock::time_point> send_by = std::nullopt) {
  auto ref = ocpp::find_action(ocpp::Version::v201, action);
  CAF_REQUIRE(ref.has_value());
  auto request = ocpp::decode_request(*ref, payload);
  CAF_REQUIRE(request.has_value());
  return CsmsCall{*ref, std::move(*request), ticket, send_by};
}

/// A handler that answers every CALL with a fixed payload. (It takes an argument because CAF 0.17
/// trips UBSan when spawning a function actor without any.)
BlockActor::behavior_type echo_handler(BlockActor::pointer self, std::string payload) {
  return {[payload](handle_atom, const IncomingCall& call) { reply(call, payload); },
          [self](stop_atom) { self->quit(); }};
}

struct fixture : test_coordinator_fixture<> {
  fixture() {
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto context = std::make_shared<NodeContext>();
    context->settings.call_timeout = std::chrono::seconds(30);
    context->settings.max_queued_calls = 2;
    context->settings.max_frame_bytes = 4096;
    context->station_log = log;
    context->handler_log = log;
    router.add(ocpp::Version::v201, static_cast<std::size_t>(ocpp201::Action::Heartbeat),
               sys.spawn(echo_handler, std::string(R"({"currentTime":"2026-01-01T00:00:00.000Z"})")));
    context->router = &router;
    ctx = context;
    StationSetup setup;
    setup.station_id = "CS1";
    setup.version = ocpp::Version::v201;
    setup.connection = connection;
    setup.ctx = ctx;
    setup.told = Registration::accepted;  // a station that booted before: its calls are handled
    station = sys.spawn(station_actor, setup);
    consume_messages();
  }

  ~fixture() override {
    caf::anon_send_exit(station, caf::exit_reason::user_shutdown);
    for (auto& h : router.handlers()) caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    consume_messages();
    router.clear();
  }

  void api_call(const std::string& action, const std::string& payload) {
    self->send(station, csms_call_atom::value, call_of(action, payload));
    consume_messages();
  }

  void station_sends(std::string text) {
    caf::anon_send(station, text_atom::value, std::move(text));
    consume_messages();
  }

  /// The results delivered to the test so far, oldest first.
  std::vector<CsmsCallResult> results() {
    std::vector<CsmsCallResult> out;
    while (!self->mailbox().empty()) self->receive([&](CsmsCallResult& r) { out.push_back(std::move(r)); });
    return out;
  }

  std::vector<ocpp::Frame> calls_sent() {
    std::vector<ocpp::Frame> out;
    for (const auto& text : connection->sent) {
      auto frame = parse(text);
      if (frame.type == ocpp::MessageType::call) out.push_back(frame);
    }
    return out;
  }

  std::shared_ptr<FakeConnection> connection = std::make_shared<FakeConnection>();
  Router router;
  NodeContextPtr ctx;
  StationActor station;
};

const std::string kGetVariables =
    R"({"getVariableData":[{"component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]})";
const std::string kGetVariablesResult =
    R"({"getVariableResult":[{"attributeStatus":"Accepted","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"},"attributeValue":"30"}]})";

}  // namespace

CAF_TEST_FIXTURE_SCOPE(station_actor_tests, fixture)

CAF_TEST(one CALL in flight: the second waits for the first answer) {
  api_call("GetVariables", kGetVariables);
  api_call("Reset", R"({"type":"Immediate"})");
  auto sent = calls_sent();
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(sent[0].action, "GetVariables");
  CAF_CHECK(results().empty());

  station_sends(ocpp::call_result_frame(sent[0].message_id, kGetVariablesResult));
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::result);
  CAF_CHECK_EQUAL(delivered[0].payload, kGetVariablesResult);
  // The answer comes back decoded with the call's action: nobody parses it again.
  const auto* answer = delivered[0].response.as<ocpp201::GetVariablesResponse>();
  CAF_REQUIRE(answer != nullptr);
  CAF_REQUIRE_EQUAL(answer->getVariableResult.size(), 1u);
  sent = calls_sent();
  CAF_REQUIRE_EQUAL(sent.size(), 2u);
  CAF_CHECK_EQUAL(sent[1].action, "Reset");
  CAF_CHECK_NOT_EQUAL(sent[0].message_id, sent[1].message_id);
}

CAF_TEST(the queue is bounded) {
  api_call("Reset", R"({"type":"Immediate"})");  // in flight
  api_call("Reset", R"({"type":"Immediate"})");  // queued 1
  api_call("Reset", R"({"type":"Immediate"})");  // queued 2 (max_queued_calls)
  CAF_CHECK(results().empty());
  api_call("Reset", R"({"type":"Immediate"})");  // refused at once
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::queue_full);
  CAF_CHECK_EQUAL(calls_sent().size(), 1u);
}

CAF_TEST(an unanswered call times out and the next one goes out) {
  api_call("GetVariables", kGetVariables);
  api_call("Reset", R"({"type":"Immediate"})");
  CAF_CHECK_EQUAL(calls_sent().size(), 1u);
  advance_time(std::chrono::seconds(29));
  consume_messages();
  CAF_CHECK(results().empty());  // not yet
  advance_time(std::chrono::seconds(1));
  consume_messages();
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::timeout);
  auto sent = calls_sent();
  CAF_REQUIRE_EQUAL(sent.size(), 2u);
  CAF_CHECK_EQUAL(sent[1].action, "Reset");

  // The late answer to the first call is dropped, not delivered as the answer to the second.
  station_sends(ocpp::call_result_frame(sent[0].message_id, kGetVariablesResult));
  CAF_CHECK(results().empty());
  station_sends(ocpp::call_result_frame(sent[1].message_id, R"({"status":"Accepted"})"));
  delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::result);
}

CAF_TEST(CALLERROR and schema - breaking answers are reported as such) {
  api_call("Reset", R"({"type":"Immediate"})");
  auto sent = calls_sent();
  station_sends(ocpp::call_error_frame(sent[0].message_id, "NotSupported", "no reset here", R"({"a":1})"));
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::call_error);
  CAF_CHECK_EQUAL(delivered[0].error_code, "NotSupported");
  CAF_CHECK_EQUAL(delivered[0].error_description, "no reset here");
  CAF_CHECK_EQUAL(delivered[0].error_details, R"({"a":1})");

  api_call("Reset", R"({"type":"Immediate"})");
  sent = calls_sent();
  station_sends(ocpp::call_result_frame(sent[1].message_id, R"({"status":"Maybe"})"));
  delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::invalid_response);
  CAF_CHECK(delivered[0].error_description.find("/status") != std::string::npos);
}

CAF_TEST(a disconnect fails the call in flight and the queued ones) {
  api_call("Reset", R"({"type":"Immediate"})");
  api_call("Reset", R"({"type":"OnIdle"})");
  caf::anon_send(station, closed_atom::value, std::string("closed by peer"));
  consume_messages();
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 2u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::disconnected);
  CAF_CHECK(delivered[0].sent);  // it had gone out
  CAF_CHECK(delivered[1].kind == CsmsCallResult::Kind::disconnected);
  CAF_CHECK(!delivered[1].sent);  // it was still waiting
}

CAF_TEST(a call that waits past its send_by is withdrawn and never sent) {
  api_call("GetVariables", kGetVariables);  // in flight: the station takes its time
  self->send(
      station, csms_call_atom::value,
      call_of("Reset", R"({"type":"Immediate"})", 0, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  consume_messages();
  advance_time(std::chrono::seconds(5));
  consume_messages();
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::not_sent);
  CAF_CHECK(!delivered[0].sent);
  CAF_CHECK(delivered[0].error_description.find("not sent") == 0);

  // The station answers the first call: nothing else goes out.
  auto sent = calls_sent();
  station_sends(ocpp::call_result_frame(sent[0].message_id, kGetVariablesResult));
  CAF_CHECK_EQUAL(results().size(), 1u);
  CAF_CHECK_EQUAL(calls_sent().size(), 1u);
}

CAF_TEST(a caller withdraws a queued call but not one that went out) {
  self->send(station, csms_call_atom::value, call_of("GetVariables", kGetVariables, 101));
  self->send(station, csms_call_atom::value, call_of("Reset", R"({"type":"Immediate"})", 102));
  consume_messages();
  caf::anon_send(station, withdraw_atom::value, std::uint64_t{102});
  caf::anon_send(station, withdraw_atom::value, std::uint64_t{101});  // in flight: stays
  consume_messages();
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::not_sent);
  CAF_CHECK(delivered[0].error_description.find("withdrawn by its caller") != std::string::npos);
  auto sent = calls_sent();
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  station_sends(ocpp::call_result_frame(sent[0].message_id, kGetVariablesResult));
  delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::result);
  CAF_CHECK(delivered[0].sent);
  CAF_CHECK_EQUAL(calls_sent().size(), 1u);
}

CAF_TEST(a CALLERROR answering no pending call is dropped however deep its details) {
  std::string details = "{\"d\":" + std::string(60000, '[') + "1" + std::string(60000, ']') + "}";
  station_sends(ocpp::call_error_frame("nobody", "GenericError", "x", details));
  CAF_CHECK(connection->sent.empty());  // a CALLERROR is never answered
  station_sends(R"([2,"m1","Heartbeat",{}])");
  CAF_REQUIRE_EQUAL(connection->sent.size(), 1u);
}

CAF_TEST(station CALLs are routed or refused with the right CALLERROR) {
  station_sends(R"([2,"m1","Heartbeat",{}])");
  CAF_REQUIRE_EQUAL(connection->sent.size(), 1u);
  auto answer = parse(connection->sent.back());
  CAF_CHECK(answer.type == ocpp::MessageType::call_result);
  CAF_CHECK_EQUAL(answer.message_id, "m1");

  station_sends(R"([2,"m2","NoSuchAction",{}])");
  answer = parse(connection->sent.back());
  CAF_CHECK(answer.type == ocpp::MessageType::call_error);
  CAF_CHECK_EQUAL(answer.error_code, "NotImplemented");

  station_sends(R"([2,"m3","Reset",{"type":"Immediate"}])");
  answer = parse(connection->sent.back());
  CAF_CHECK_EQUAL(answer.error_code, "NotSupported");

  station_sends(R"([2,"m4","Heartbeat",{"extra":1}])");
  answer = parse(connection->sent.back());
  CAF_CHECK_EQUAL(answer.error_code, "FormatViolation");

  station_sends("not json");
  answer = parse(connection->sent.back());
  CAF_CHECK_EQUAL(answer.message_id, "-1");
  CAF_CHECK_EQUAL(answer.error_code, "RpcFrameworkError");

  // Every frame was handed back to the transport for flow control.
  CAF_CHECK_EQUAL(connection->consumed_count, 5);
}

CAF_TEST(a station that never booted gets SecurityError for anything but BootNotification) {
  auto fresh_connection = std::make_shared<FakeConnection>();
  StationSetup setup;
  setup.station_id = "CS2";
  setup.version = ocpp::Version::v201;
  setup.connection = fresh_connection;
  setup.ctx = ctx;
  auto fresh = sys.spawn(station_actor, setup);
  consume_messages();
  caf::anon_send(fresh, text_atom::value, std::string(R"([2,"h1","Heartbeat",{}])"));
  consume_messages();
  CAF_REQUIRE_EQUAL(fresh_connection->sent.size(), 1u);
  auto answer = parse(fresh_connection->sent.back());
  CAF_CHECK(answer.type == ocpp::MessageType::call_error);
  CAF_CHECK_EQUAL(answer.message_id, "h1");
  CAF_CHECK_EQUAL(answer.error_code, "SecurityError");  // B02.FR.09 / B03.FR.07
  caf::anon_send_exit(fresh, caf::exit_reason::user_shutdown);
  consume_messages();
}

CAF_TEST(a call typed for another OCPP version is refused and never sent) {
  ocpp16::ResetRequest soft;
  soft.type = ocpp16::ResetType::Soft;
  auto [action, request] = ocpp::typed_request(soft);
  self->send(station, csms_call_atom::value, CsmsCall{action, std::move(request)});
  consume_messages();
  auto delivered = results();
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK(delivered[0].kind == CsmsCallResult::Kind::not_sent);
  CAF_CHECK(!delivered[0].sent);
  CAF_CHECK(calls_sent().empty());

  // A typed 2.0.1 request goes out as the compact JSON of its action.
  ocpp201::ResetRequest immediate;
  immediate.type = ocpp201::ResetEnumType::Immediate;
  self->send(station, csms_call_atom::value, CsmsCall::of(immediate));
  consume_messages();
  auto sent = calls_sent();
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(sent[0].action, "Reset");
  CAF_CHECK_EQUAL(sent[0].payload, R"({"type":"Immediate"})");
}

CAF_TEST(a message of a station on another node is read like a frame from its socket) {
  // The manager's bridge hands over the envelope it decoded: no frame text in between.
  caf::anon_send(station, message_atom::value, ocpp::call_message("m1", "Heartbeat", "{}"));
  consume_messages();
  CAF_REQUIRE_EQUAL(connection->sent.size(), 1u);
  auto answer = parse(connection->sent.back());
  CAF_CHECK(answer.type == ocpp::MessageType::call_result);
  CAF_CHECK_EQUAL(answer.message_id, "m1");

  caf::anon_send(station, message_atom::value, ocpp::call_message("m2", "Heartbeat", R"({"extra":1})"));
  consume_messages();
  CAF_CHECK_EQUAL(parse(connection->sent.back()).error_code, "FormatViolation");

  // The frame size limit holds as on a socket: a CALL too large is refused, an answer dropped.
  const std::string big = R"({"vendorId":")" + std::string(5000, 'x') + R"("})";
  caf::anon_send(station, message_atom::value, ocpp::call_message("m3", "DataTransfer", big));
  consume_messages();
  answer = parse(connection->sent.back());
  CAF_CHECK(answer.type == ocpp::MessageType::call_error);
  CAF_CHECK_EQUAL(answer.message_id, "m3");
  const auto before = connection->sent.size();
  caf::anon_send(station, message_atom::value, ocpp::call_result_message("c1", big));
  consume_messages();
  CAF_CHECK_EQUAL(connection->sent.size(), before);
}

CAF_TEST(a newer connection replaces this one) {
  caf::anon_send(station, replace_atom::value);
  consume_messages();
  CAF_REQUIRE_EQUAL(connection->closes.size(), 1u);
  CAF_CHECK_EQUAL(connection->closes[0].first, 1000u);
}

CAF_TEST_FIXTURE_SCOPE_END()
