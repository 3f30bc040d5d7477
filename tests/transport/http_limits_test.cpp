// The management API's HTTP server under connection pressure: max_connections with eviction of
// the longest-waiting connection, slowloris headers, busy connections kept. Real loopback sockets.
#include <mutex>
#include <optional>

#include <catch2/catch.hpp>

#include "protocol/transport/http_server.hpp"
#include "tests/transport/ws_client.hpp"

using namespace transport_test;
using evbroker::transport::HttpRequest;
using evbroker::transport::HttpResponse;
using evbroker::transport::HttpServer;
using evbroker::transport::HttpServerOptions;
using evbroker::transport::HttpServerStats;
using evbroker::transport::Responder;

namespace {

HttpServerOptions limit_options(std::size_t max_connections) {
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.max_connections = max_connections;
  return options;
}

/// Answers 200 "<path>", except /park: its Responder is kept until answer_parked().
class LimitFixture {
 public:
  explicit LimitFixture(HttpServerOptions options) {
    server = std::make_unique<HttpServer>(io.io, std::move(options), [this](HttpRequest req, Responder respond) {
      if (req.path == "/park") {
        std::lock_guard lock(mutex_);
        parked_.push_back(std::move(respond));
        return;
      }
      respond(HttpResponse{200, "text/plain", req.path, {}, {}});
    });
    REQUIRE(!server->listen());
    port = server->local_port();
  }
  LimitFixture(const LimitFixture&) = delete;
  LimitFixture& operator=(const LimitFixture&) = delete;
  ~LimitFixture() {
    io.stop();
    server.reset();
  }

  HttpServerStats stats() const { return server->stats(); }
  /// Connects a socket and waits until the server counts it.
  std::unique_ptr<RawClient> connect() {
    const auto before = server->stats().accepted;
    auto client = std::make_unique<RawClient>();
    REQUIRE(!client->connect(port));
    REQUIRE(eventually([&] { return server->stats().accepted == before + 1; }));
    return client;
  }
  std::size_t parked_count() const {
    std::lock_guard lock(mutex_);
    return parked_.size();
  }
  void answer_parked() {
    std::vector<Responder> parked;
    {
      std::lock_guard lock(mutex_);
      parked.swap(parked_);
    }
    for (auto& respond : parked) respond(HttpResponse{202, "text/plain", "parked", {}, {}});
  }

  IoThreads io{2};
  std::unique_ptr<HttpServer> server;
  std::uint16_t port = 0;

 private:
  mutable std::mutex mutex_;
  std::vector<Responder> parked_;
};

http::request<http::string_body> get(const std::string& target) {
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  return req;
}

/// One request on `client`; the response's body, or "error: ..." when there was none.
std::string fetch(RawClient& client, const std::string& target) {
  auto req = get(target);
  if (auto ec = client.write_request(req)) return "error: " + ec.message();
  http::response<http::string_body> res;
  if (auto ec = client.read_response(res)) return "error: " + ec.message();
  return res.body();
}

/// The server closed `client` (not the client's deadline).
bool closed_by_server(RawClient& client) {
  std::string bytes;
  const auto ec = client.read_to_end(bytes);
  return ec && ec != beast::error::timeout && bytes.empty();
}

}  // namespace

TEST_CASE("http: the connection options have their documented defaults", "[http][limits]") {
  const HttpServerOptions options;
  CHECK(options.max_connections == 128);
  CHECK(options.idle_timeout == std::chrono::seconds(30));
}

TEST_CASE("http: at max_connections a new connection evicts the one that has waited longest", "[http][limits]") {
  LimitFixture fx(limit_options(2));
  auto oldest = fx.connect();  // never sends anything
  auto served = fx.connect();
  CHECK(fetch(*served, "/one") == "/one");  // waits again from now on: younger than `oldest`
  auto fresh = fx.connect();
  CHECK(closed_by_server(*oldest));
  CHECK(fetch(*fresh, "/fresh") == "/fresh");
  CHECK(fetch(*served, "/two") == "/two");
  const auto stats = fx.stats();
  CHECK(stats.open_connections == 2);
  CHECK(stats.evictions == 1);
  CHECK(stats.refusals == 0);
  CHECK(stats.accepted == 3);
}

TEST_CASE("http: requests on a fresh connection are served while max_connections idle ones are held",
          "[http][limits]") {
  LimitFixture fx(limit_options(4));
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(fx.connect());
  std::vector<std::unique_ptr<RawClient>> fresh;  // kept open: each one waits, younger than the idle ones
  for (int round = 0; round < 3; ++round) {
    fresh.push_back(std::make_unique<RawClient>());
    REQUIRE(!fresh.back()->connect(fx.port));
    CHECK(fetch(*fresh.back(), "/health") == "/health");
  }
  CHECK(fx.stats().evictions == 3);
  CHECK(fx.stats().open_connections == 4);
  for (std::size_t i = 0; i < 3; ++i) CHECK(closed_by_server(*idle[i]));  // oldest first
  CHECK(fetch(*fresh.front(), "/again") == "/again");
}

TEST_CASE("http: a header trickling in byte by byte does not outlive idle_timeout", "[http][limits]") {
  auto options = limit_options(8);
  options.idle_timeout = std::chrono::seconds(1);
  LimitFixture fx(options);
  RawClient slowloris;
  REQUIRE(!slowloris.connect(fx.port));
  const std::string header = "GET /slow HTTP/1.1\r\nHost: h\r\nX-Padding: " + std::string(400, 'a') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  const std::size_t sent = slowloris.trickle(header, 20ms);  // ~9 s if nothing stops it
  CHECK(sent < header.size());
  CHECK(std::chrono::steady_clock::now() - start < 4s);
  CHECK(eventually([&] { return fx.stats().open_connections == 0; }));
}

TEST_CASE("http: a connection still sending its header is evicted before an idle keep-alive one", "[http][limits]") {
  LimitFixture fx(limit_options(2));
  auto slowloris = fx.connect();
  REQUIRE(!slowloris->write("GET /never HTTP/1.1\r\nHost: h\r\n"));  // and never the end
  auto keep_alive = fx.connect();
  CHECK(fetch(*keep_alive, "/a") == "/a");
  auto fresh = fx.connect();
  CHECK(closed_by_server(*slowloris));
  CHECK(fetch(*keep_alive, "/b") == "/b");
  CHECK(fetch(*fresh, "/c") == "/c");
  CHECK(fx.stats().evictions == 1);
}

TEST_CASE("http: a busy connection is never evicted", "[http][limits]") {
  SECTION("the waiting one goes instead") {
    LimitFixture fx(limit_options(2));
    auto busy = fx.connect();  // the older one
    auto req = get("/park");
    REQUIRE(!busy->write_request(req));
    REQUIRE(eventually([&] { return fx.parked_count() == 1; }));
    auto idle = fx.connect();
    auto fresh = fx.connect();
    CHECK(closed_by_server(*idle));
    fx.answer_parked();
    http::response<http::string_body> res;
    REQUIRE(!busy->read_response(res));
    CHECK(res.result_int() == 202);
    CHECK(fetch(*fresh, "/fresh") == "/fresh");
  }
  SECTION("when every connection is busy the new one is closed at once") {
    LimitFixture fx(limit_options(1));
    auto busy = fx.connect();
    auto req = get("/park");
    REQUIRE(!busy->write_request(req));
    REQUIRE(eventually([&] { return fx.parked_count() == 1; }));
    RawClient refused;
    REQUIRE(!refused.connect(fx.port));
    CHECK(closed_by_server(refused));
    CHECK(fx.stats().refusals == 1);
    CHECK(fx.stats().evictions == 0);
    fx.answer_parked();
    http::response<http::string_body> res;
    REQUIRE(!busy->read_response(res));
    CHECK(res.result_int() == 202);
    CHECK(fetch(*busy, "/again") == "/again");  // and it stays usable
    CHECK(fx.stats().open_connections == 1);
  }
}

TEST_CASE("http: max_connections = 0 does not bound connections", "[http][limits]") {
  LimitFixture fx(limit_options(0));
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(fx.connect());
  CHECK(fx.stats().open_connections == 20);
  CHECK(fetch(*idle.back(), "/x") == "/x");
  CHECK(fx.stats().evictions == 0);
}
