// The gateway's half of the MQTT bridge and the manager's RemoteConnection, without a broker: a
// fake websocket records what the station would receive, a fake publisher what would go to MQTT.
// (The whole path through mosquitto is tests/e2e/test_cluster.py.)

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "actors/cluster/gateway_bridge.hpp"
#include "actors/cluster/registry_replica.hpp"
#include "actors/cluster/remote_connection.hpp"
#include "protocol/frame.hpp"
#include "protocol/mqtt_envelope.hpp"

using namespace evbroker;
using namespace evbroker::actors;

namespace {

class FakeSocket : public transport::Connection {
 public:
  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  void close(std::uint16_t code, std::string reason) override { closes.emplace_back(code, std::move(reason)); }
  void consumed() override { ++consumed_count; }
  const std::string& station_id() const override { return id; }
  const std::string& remote_address() const override { return address; }
  std::size_t pending_writes() const override { return 0; }

  std::string id = "CS1";
  std::string address = "10.0.0.5:5000";
  std::vector<std::string> sent;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  int consumed_count = 0;
};

struct FakeBroker {
  bool up = true;
  std::vector<transport::MqttPublish> published;
  MqttPublisher publisher() {
    return [this](transport::MqttPublish m) {
      if (!up) return false;
      published.push_back(std::move(m));
      return true;
    };
  }
  const transport::MqttPublish& last() const { return published.back(); }
};

std::shared_ptr<spdlog::logger> null_log() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

transport::MqttMessage message(std::string topic, std::string payload, std::string correlation = {}) {
  transport::MqttMessage m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.correlation_data = std::move(correlation);
  return m;
}

ocpp::Envelope envelope_of(const transport::MqttPublish& m) {
  auto e = ocpp::decode_envelope(m.payload);
  REQUIRE(e.has_value());
  return *e;
}

struct GatewayFixture {
  FakeBroker broker;
  std::shared_ptr<GatewayBridge> bridge =
      std::make_shared<GatewayBridge>(ClusterSettings{"cs", "manager", "gw1"}, broker.publisher(), null_log(), 65536);
  std::shared_ptr<FakeSocket> socket = std::make_shared<FakeSocket>();
  std::shared_ptr<transport::ConnectionHandler> handler = bridge->open(socket, "CS1", "ocpp2.0.1", false);
};

}  // namespace

TEST_CASE("a gateway announces a connection and passes a station CALL on as a type 2 envelope", "[cluster]") {
  GatewayFixture f;
  REQUIRE(f.broker.published.size() == 1);
  CHECK(f.broker.last().topic == "cs/event/ocpp2.0.1/CS1");
  auto event = ocpp::decode_connection_event(f.broker.last().payload);
  REQUIRE(event.has_value());
  CHECK(event->connected);
  CHECK(event->gateway == "gw1");
  CHECK(event->remote_address == "10.0.0.5:5000");

  f.handler->on_text(R"([2,"m1","Heartbeat",{}])");
  REQUIRE(f.broker.published.size() == 2);
  const auto& p = f.broker.last();
  CHECK(p.topic == "cs/in/ocpp2.0.1/CS1");
  CHECK(p.qos == 0);  // a heartbeat: the station repeats it anyway
  CHECK(p.content_type == "application/json");
  CHECK(p.response_topic == "cs/out/ocpp2.0.1/CS1");
  CHECK(p.correlation_data.size() == 55);  // 00-<32>-<16>-01
  CHECK(p.correlation_data.starts_with("00-"));
  auto e = envelope_of(p);
  CHECK(e.type == ocpp::MessageType::call);
  CHECK(e.action == "Heartbeat");
  CHECK(e.id == "m1");
  CHECK(e.request == "{}");
  CHECK(f.socket->consumed_count == 1);
  CHECK(f.socket->sent.empty());

  f.handler->on_text(R"([2,"m2","StatusNotification",{}])");
  CHECK(f.broker.last().qos == 1);  // carries state
}

TEST_CASE("a gateway answers a malformed CALL itself and publishes nothing", "[cluster]") {
  GatewayFixture f;
  f.handler->on_text(R"([2,"m1","Heartbeat"])");
  CHECK(f.broker.published.size() == 1);  // only the connected event
  REQUIRE(f.socket->sent.size() == 1);
  auto frame = ocpp::parse_frame(f.socket->sent[0]);
  REQUIRE(frame.has_value());
  CHECK(frame->type == ocpp::MessageType::call_error);
  CHECK(frame->message_id == "m1");
}

TEST_CASE("with the broker down a station CALL gets InternalError at once, not a fake answer", "[cluster]") {
  GatewayFixture f;
  f.broker.up = false;
  f.handler->on_text(R"([2,"m2","TransactionEvent",{"eventType":"Started"}])");
  REQUIRE(f.socket->sent.size() == 1);
  auto frame = ocpp::parse_frame(f.socket->sent[0]);
  REQUIRE(frame.has_value());
  CHECK(frame->type == ocpp::MessageType::call_error);
  CHECK(frame->error_code == "InternalError");
  CHECK(f.socket->closes.empty());
  CHECK(f.bridge->stats().refused_link_down == 1);
}

TEST_CASE("a gateway sends the manager's answer and remembers a CSMS call until the station answers", "[cluster]") {
  GatewayFixture f;
  f.bridge->on_message(
      message("cs/out/ocpp2.0.1/CS1",
              R"({"type":3,"action":"Heartbeat","id":"m1","response":{"currentTime":"2026-01-01T00:00:00Z"}})"));
  REQUIRE(f.socket->sent.size() == 1);
  CHECK(f.socket->sent[0] == R"([3,"m1",{"currentTime":"2026-01-01T00:00:00Z"}])");

  f.bridge->on_message(message("cs/out/ocpp2.0.1/CS1",
                               R"({"type":2,"action":"Reset","id":"c1","request":{"type":"Immediate"}})",
                               "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"));
  REQUIRE(f.socket->sent.size() == 2);
  CHECK(f.socket->sent[1] == R"([2,"c1","Reset",{"type":"Immediate"}])");

  f.handler->on_text(R"([3,"c1",{"status":"Accepted"}])");
  const auto& p = f.broker.last();
  CHECK(p.topic == "cs/in/ocpp2.0.1/CS1");
  CHECK(p.correlation_data == "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01");
  auto e = envelope_of(p);
  CHECK(e.type == ocpp::MessageType::call_result);
  CHECK(e.action == "Reset");
  CHECK(e.request == R"({"type":"Immediate"})");
  CHECK(e.response == R"({"status":"Accepted"})");

  // A second answer to the same call, or one to a call never made, goes nowhere.
  const auto before = f.broker.published.size();
  f.handler->on_text(R"([3,"c1",{"status":"Accepted"}])");
  f.handler->on_text(R"([4,"zz","NotSupported","no",{}])");
  CHECK(f.broker.published.size() == before);
  CHECK(f.bridge->stats().dropped_answers == 2);
}

TEST_CASE("a station's CALLERROR to a CSMS call keeps code, description and details", "[cluster]") {
  GatewayFixture f;
  f.bridge->on_message(
      message("cs/out/ocpp2.0.1/CS1", R"({"type":2,"action":"Reset","id":"c2","request":{"type":"OnIdle"}})"));
  f.handler->on_text(R"([4,"c2","NotSupported","not here",{"why":"test"}])");
  auto e = envelope_of(f.broker.last());
  CHECK(e.type == ocpp::MessageType::call_error);
  CHECK(e.action == "Reset");
  CHECK(e.request == R"({"type":"OnIdle"})");
  CHECK(e.error_code == "NotSupported");
  CHECK(e.error_description == "not here");
  CHECK(e.error_details == R"({"why":"test"})");
}

TEST_CASE("out messages for other stations, versions or sessions leave the socket alone", "[cluster]") {
  GatewayFixture f;
  f.bridge->on_message(message("cs/out/ocpp2.0.1/CS2", R"({"type":3,"action":"Heartbeat","id":"m1","response":{}})"));
  f.bridge->on_message(message("cs/out/ocpp1.6/CS1", R"({"type":3,"action":"Heartbeat","id":"m1","response":{}})"));
  f.bridge->on_message(message("cs/out/ocpp2.0.1/CS1", R"({"type":3,"id":)"));
  f.bridge->on_message(message("cs/control/CS1", R"({"command":"close","code":1000,"reason":"x","session":"gw9/1"})"));
  CHECK(f.socket->sent.empty());
  CHECK(f.socket->closes.empty());
  CHECK(f.bridge->stats().not_held == 2);
  CHECK(f.bridge->stats().invalid_messages == 1);

  f.bridge->on_message(message("cs/control/CS1", R"({"command":"close","code":1008,"reason":"kicked"})"));
  REQUIRE(f.socket->closes.size() == 1);
  CHECK(f.socket->closes[0] == std::pair<std::uint16_t, std::string>{1008, "kicked"});
}

TEST_CASE("a disconnect while the broker is down is announced once it is back", "[cluster]") {
  GatewayFixture f;
  f.broker.up = false;
  f.handler->on_closed("peer went away");
  CHECK(f.bridge->connections() == 0);
  f.broker.up = true;
  f.bridge->on_link_up();
  auto event = ocpp::decode_connection_event(f.broker.last().payload);
  REQUIRE(event.has_value());
  CHECK_FALSE(event->connected);
  CHECK(event->reason == "peer went away");
}

TEST_CASE("after a reconnect to the broker a gateway announces every open socket again", "[cluster]") {
  GatewayFixture f;
  f.broker.published.clear();
  f.bridge->on_link_up();
  REQUIRE(f.broker.published.size() == 1);
  CHECK(f.broker.last().topic == "cs/event/ocpp2.0.1/CS1");
}

TEST_CASE("a second socket of a station replaces the first, whose late close changes nothing", "[cluster]") {
  GatewayFixture f;
  auto second = std::make_shared<FakeSocket>();
  auto handler2 = f.bridge->open(second, "CS1", "ocpp2.0.1", false);
  REQUIRE(f.socket->closes.size() == 1);
  f.handler->on_closed("replaced");
  CHECK(f.bridge->connections() == 1);
  f.bridge->on_message(message("cs/out/ocpp2.0.1/CS1", R"({"type":3,"action":"Heartbeat","id":"m1","response":{}})"));
  CHECK(second->sent.size() == 1);
  CHECK(f.socket->sent.empty());
}

TEST_CASE("the manager's RemoteConnection turns messages into envelopes with the call's action", "[cluster]") {
  FakeBroker broker;
  RemoteSession session{"CS1", ocpp::Version::v16, "gw1", "gw1/3", 1000, "gateway gw1"};
  RemoteConnection connection(session, "cs", broker.publisher(), null_log());
  connection.note_station_call("s1", "Heartbeat", "00-aa-bb-01");
  // What the station actor sends: the parts, published as they are.
  connection.send_message(ocpp::call_result_message("s1", R"({"currentTime":"2026-01-01T00:00:00Z"})"));
  REQUIRE(broker.published.size() == 1);
  CHECK(broker.last().topic == "cs/out/ocpp1.6/CS1");
  CHECK(broker.last().correlation_data == "00-aa-bb-01");
  CHECK(broker.last().qos == 0);  // an answer: a lost one is a late one, the station retries
  auto answer = envelope_of(broker.last());
  CHECK(answer.type == ocpp::MessageType::call_result);
  CHECK(answer.action == "Heartbeat");
  CHECK(answer.response == R"({"currentTime":"2026-01-01T00:00:00Z"})");

  // A frame given as text goes out the same way.
  connection.send_text(R"([2,"c1","Reset",{"type":"Soft"}])");
  auto call = envelope_of(broker.last());
  CHECK(call.type == ocpp::MessageType::call);
  CHECK(call.action == "Reset");
  CHECK(call.request == R"({"type":"Soft"})");
  CHECK(broker.last().qos == 1);  // a CSMS call: nobody would resend it
  CHECK(broker.last().correlation_data.starts_with("00-"));

  connection.send_message(ocpp::call_error_message("s2", "FormatViolation", "bad", R"({"at":"/x"})"));
  auto error = envelope_of(broker.last());
  CHECK(error.type == ocpp::MessageType::call_error);
  CHECK(error.error_code == "FormatViolation");
  CHECK(error.error_details == R"({"at":"/x"})");

  connection.close(1008, "kicked");
  CHECK(broker.last().topic == "cs/control/CS1");
  auto command = ocpp::decode_control_command(broker.last().payload);
  REQUIRE(command.has_value());
  CHECK(command->session == "gw1/3");
  CHECK(command->code == 1008);

  // Once detached (the station moved on), closing must not reach the station's newer socket.
  const auto before = broker.published.size();
  connection.detach();
  connection.close(1000, "replaced");
  CHECK(broker.published.size() == before);
}

TEST_CASE("the registry replica follows retained records and their removal", "[cluster]") {
  RegistryReplica replica("cs");
  CHECK(replica.apply(message("cs/registry/CS1", R"({"securityProfile":0})")));
  CHECK(replica.find("CS1") == std::optional<std::string>(R"({"securityProfile":0})"));
  CHECK_FALSE(replica.apply(message("cs/out/ocpp1.6/CS1", "{}")));
  CHECK(replica.apply(message("cs/registry/CS1", "")));
  CHECK_FALSE(replica.find("CS1").has_value());
  CHECK(replica.size() == 0);
}
