// Admission of station sockets: first_bytes_timeout, handshakes per source address, the shared
// station-connection budget. Real loopback sockets; other 127/8 addresses as other sources.
#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "protocol/transport/address_handshakes.hpp"
#include "protocol/transport/connection_budget.hpp"
#include "tests/transport/ws_client.hpp"
#include "tests/transport/ws_fixture.hpp"

using namespace transport_test;
using evbroker::transport::address_group;
using evbroker::transport::ConnectionBudget;
using evbroker::transport::HandshakesByAddress;

namespace {

std::string group_of(const std::string& text) { return address_group(net::ip::make_address(text)); }

/// Options under which an idle socket keeps its handshake open for the whole test.
WsServerOptions patient_options() {
  auto options = test_options();
  options.first_bytes_timeout = std::chrono::seconds(0);
  options.handshake_timeout = std::chrono::seconds(30);
  return options;
}

/// Connects `n` sockets that send nothing from `source`, and waits until the server has them.
std::vector<std::unique_ptr<RawClient>> idle_sockets(WsFixture& fx, std::size_t n, const std::string& source,
                                                     std::size_t already = 0) {
  std::vector<std::unique_ptr<RawClient>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<RawClient>());
    REQUIRE(!out.back()->connect(fx.port, source));
  }
  REQUIRE(eventually([&] { return fx.server->handshakes_in_progress() == already + n; }));
  return out;
}

const std::string kUpgrade =
    "GET /ws/CS001 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n";

}  // namespace

TEST_CASE("the new admission options have their documented defaults", "[ws][admission]") {
  const WsServerOptions options;
  CHECK(options.first_bytes_timeout == std::chrono::seconds(3));
  CHECK(options.handshake_timeout == std::chrono::seconds(10));
  CHECK(options.max_handshakes_per_address == 32);
  CHECK(options.max_pending_handshakes == 1024);
  CHECK(options.handshakes_by_address == nullptr);
  CHECK(options.budget == nullptr);
}

TEST_CASE("an address group is an IPv4 address itself or the /64 of an IPv6 address", "[ws][admission]") {
  CHECK(group_of("192.0.2.7") == "192.0.2.7");
  CHECK(group_of("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(group_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(group_of("2001:db8:1:2::1") == group_of("2001:db8:1:2:ffff::9"));
  CHECK(group_of("2001:db8:1:2::1") != group_of("2001:db8:1:3::1"));
  CHECK(group_of("::1") == "::/64");
}

TEST_CASE("handshakes by address are bounded per group and forgotten when none is in progress", "[ws][admission]") {
  HandshakesByAddress counter;
  CHECK(counter.try_begin("a", 2));
  CHECK(counter.try_begin("a", 2));
  CHECK_FALSE(counter.try_begin("a", 2));
  CHECK(counter.try_begin("b", 2));  // another group is not affected
  CHECK(counter.in_progress("a") == 2);
  CHECK(counter.total() == 3);
  counter.end("a");
  CHECK(counter.try_begin("a", 2));
  counter.end("a");
  counter.end("a");
  counter.end("b");
  CHECK(counter.total() == 0);
  CHECK(counter.in_progress("a") == 0);
  counter.end("a");  // not counted: no effect
  CHECK(counter.total() == 0);
  for (int i = 0; i < 100; ++i) CHECK(counter.try_begin("c", 0));  // 0: unlimited, still counted
  CHECK(counter.in_progress("c") == 100);
}

TEST_CASE("a connection budget counts units up to its limit and refusals beyond", "[ws][admission]") {
  ConnectionBudget budget(2);
  CHECK(budget.try_acquire());
  CHECK(budget.try_acquire());
  CHECK_FALSE(budget.try_acquire());
  CHECK(budget.in_use() == 2);
  CHECK(budget.refused() == 1);
  budget.release();
  CHECK(budget.try_acquire());
  CHECK(budget.limit() == 2);
}

TEST_CASE("a socket that sends nothing is closed after first_bytes_timeout and frees its slot", "[ws][admission]") {
  WsFixture fx;
  auto options = test_options();
  options.first_bytes_timeout = std::chrono::seconds(1);
  options.handshake_timeout = std::chrono::seconds(8);
  options.max_pending_handshakes = 1;
  fx.start(options);
  const auto start = std::chrono::steady_clock::now();
  RawClient silent;
  REQUIRE(!silent.connect(fx.port));
  std::string bytes;
  CHECK(silent.read_to_end(bytes));
  CHECK(bytes.empty());
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // well before handshake_timeout
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  const auto refusal = fx.refusals()[0];
  CHECK(refusal.second.http_status == 408);
  CHECK(refusal.second.reason == "nothing received within 1 s of connecting");
  CHECK(refusal.first.remote_address.rfind("127.0.0.1:", 0) == 0);
  CHECK(fx.server->handshakes_in_progress() == 0);
  WsClient station;  // the only slot is free again
  CHECK(!station.connect(fx.port));
}

TEST_CASE("first_bytes_timeout only waits for the first byte and handshake_timeout bounds the rest",
          "[ws][admission]") {
  WsFixture fx;
  auto options = test_options();
  options.first_bytes_timeout = std::chrono::seconds(1);
  options.handshake_timeout = std::chrono::seconds(8);
  fx.start(options);
  RawClient slow;
  REQUIRE(!slow.connect(fx.port));
  REQUIRE(!slow.write(kUpgrade.substr(0, 1)));
  // Past the first-bytes deadline the socket must still be there.
  CHECK(stays_false([&] { return fx.refusal_count() > 0; }, 1500ms));
  REQUIRE(!slow.write(kUpgrade.substr(1)));
  http::response<http::string_body> res;
  REQUIRE(!slow.read_response(res));
  CHECK(res.result_int() == 101);
  CHECK(fx.wait_handler() != nullptr);
}

TEST_CASE("four idle sockets from one address do not keep a station on another address out", "[ws][admission]") {
  WsFixture fx;
  auto options = patient_options();
  options.max_handshakes_per_address = 4;
  options.max_pending_handshakes = 8;
  fx.start(options);
  auto idle = idle_sockets(fx, 4, "127.0.0.1");

  RawClient fifth;
  REQUIRE(!fifth.connect(fx.port, "127.0.0.1"));
  std::string bytes;
  CHECK(fifth.read_to_end(bytes));  // closed at once, unanswered
  CHECK(bytes.empty());
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  const auto refusal = fx.refusals()[0];
  CHECK(refusal.second.http_status == 503);
  CHECK(refusal.second.reason == "too many handshakes in progress from 127.0.0.1");
  CHECK(fx.server->handshakes_in_progress() == 4);

  WsClient station;
  HandshakeOptions hs;
  hs.source_address = "127.0.0.2";
  REQUIRE(!station.connect(fx.port, hs));
  const auto decided = fx.decided();
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].remote_address.rfind("127.0.0.2:", 0) == 0);
  CHECK(fx.wait_handler() != nullptr);
  CHECK(fx.refusal_count() == 1);
}

TEST_CASE("max_handshakes_per_address = 0 leaves addresses unbounded", "[ws][admission]") {
  WsFixture fx;
  auto options = patient_options();
  options.max_handshakes_per_address = 0;
  fx.start(options);
  auto idle = idle_sockets(fx, 40, "127.0.0.1");  // more than the default bound of 32
  CHECK(fx.refusal_count() == 0);
  WsClient station;
  CHECK(!station.connect(fx.port));
}

TEST_CASE("an address's handshake slot is released on every outcome", "[ws][admission]") {
  auto counter = std::make_shared<HandshakesByAddress>();
  WsFixture fx;
  auto options = patient_options();
  options.max_handshakes_per_address = 4;
  options.handshakes_by_address = counter;
  const auto released = [&] { return eventually([&] { return counter->total() == 0; }); };

  SECTION("accepted") {
    fx.start(options);
    WsClient station;
    REQUIRE(!station.connect(fx.port));
    CHECK(released());
    CHECK(fx.server->open_connections() == 1);  // the open websocket holds no handshake slot
    CHECK(fx.server->handshakes_in_progress() == 0);
  }
  SECTION("refused by the decision") {
    fx.decide = [](const UpgradeRequest&) { return UpgradeDecision{false, {}, 401, "bad credentials"}; };
    fx.start(options);
    WsClient station;
    CHECK(station.connect(fx.port) == websocket::error::upgrade_declined);
    CHECK(released());
  }
  SECTION("failed: the peer left in the middle of its request") {
    fx.start(options);
    RawClient partial;
    REQUIRE(!partial.connect(fx.port));
    REQUIRE(!partial.write("GET /ws/CS001 HTTP/1.1\r\nHost"));
    REQUIRE(eventually([&] { return counter->total() == 1; }));
    partial.close();
    REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
    CHECK(fx.refusals()[0].second.http_status == 400);
    CHECK(released());
  }
  SECTION("timed out before the first byte") {
    options.first_bytes_timeout = std::chrono::seconds(1);
    fx.start(options);
    RawClient silent;
    REQUIRE(!silent.connect(fx.port));
    REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
    CHECK(fx.refusals()[0].second.http_status == 408);
    CHECK(released());
  }
  SECTION("timed out in the middle of the request") {
    options.handshake_timeout = std::chrono::seconds(1);
    fx.start(options);
    RawClient partial;
    REQUIRE(!partial.connect(fx.port));
    REQUIRE(!partial.write("GET /ws/CS001 HTTP/1.1\r\n"));
    REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
    CHECK(fx.refusals()[0].second.http_status == 408);
    CHECK(released());
  }
  SECTION("the server destroyed with the handshake in progress") {
    fx.start(options);
    auto idle = idle_sockets(fx, 3, "127.0.0.1");
    REQUIRE(counter->total() == 3);
    fx.server.reset();  // the I/O threads still run; the counter is shared and lives on
    CHECK(released());
    for (auto& socket : idle) {
      std::string bytes;
      const auto ec = socket->read_to_end(bytes);
      CHECK(ec);
      CHECK(ec != beast::error::timeout);  // ended by the server, not by the client's deadline
    }
  }
}

TEST_CASE("an address's handshake slot is released when a stopped io_context drops the session", "[ws][admission]") {
  auto counter = std::make_shared<HandshakesByAddress>();
  std::vector<std::unique_ptr<RawClient>> idle;
  {
    WsFixture fx;
    auto options = patient_options();
    options.handshakes_by_address = counter;
    fx.start(options);
    idle = idle_sockets(fx, 2, "127.0.0.1");
    fx.io.stop();
    fx.server.reset();
    CHECK(counter->total() == 2);  // nothing runs on a stopped io_context...
  }                                // ...until it is destroyed with the sessions' pending operations
  CHECK(counter->total() == 0);
}

TEST_CASE("the connection budget refuses station sockets beyond its limit and frees a unit on close",
          "[ws][admission]") {
  auto budget = std::make_shared<ConnectionBudget>(2);
  WsFixture fx;
  auto options = patient_options();
  options.budget = budget;
  fx.start(options);
  auto first = std::make_unique<WsClient>();
  REQUIRE(!first->connect(fx.port));
  RawClient handshaking;  // a handshake in progress holds a unit too
  REQUIRE(!handshaking.connect(fx.port));
  REQUIRE(eventually([&] { return budget->in_use() == 2; }));

  WsClient refused;
  CHECK(refused.connect(fx.port));
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  CHECK(fx.refusals()[0].second.http_status == 503);
  CHECK(fx.refusals()[0].second.reason == "at capacity: 2 station connections");
  CHECK(budget->refused() == 1);

  REQUIRE(!first->close(1000, "bye"));
  first.reset();
  REQUIRE(eventually([&] { return budget->in_use() == 1; }));
  WsClient next;
  REQUIRE(!next.connect(fx.port));
  CHECK(budget->in_use() == 2);
  handshaking.close();  // a failed handshake gives its unit back as well
  CHECK(eventually([&] { return budget->in_use() == 1; }));
}

TEST_CASE("one budget shared by two listeners bounds their sum", "[ws][admission]") {
  auto budget = std::make_shared<ConnectionBudget>(1);
  WsFixture a;
  WsFixture b;
  auto options = test_options();
  options.budget = budget;
  a.start(options);
  b.start(options);
  WsClient on_a;
  REQUIRE(!on_a.connect(a.port));
  WsClient on_b;
  CHECK(on_b.connect(b.port));
  REQUIRE(eventually([&] { return b.refusal_count() == 1; }));
  CHECK(b.refusals()[0].second.reason == "at capacity: 1 station connections");
  CHECK(budget->in_use() == 1);
  a.server.reset();  // its open connection closes with it and gives the unit back
  CHECK(eventually([&] { return budget->in_use() == 0; }));
}
