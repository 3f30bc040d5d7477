// The management API's HTTP server, driven by a Beast HTTP client on loopback.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/transport/http_server.hpp"
#include "tests/transport/ws_client.hpp"

using namespace transport_test;
using evbroker::transport::HttpRequest;
using evbroker::transport::HttpResponse;
using evbroker::transport::HttpServer;
using evbroker::transport::HttpServerOptions;
using evbroker::transport::Responder;

namespace {

HttpServerOptions http_options() {
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  return options;
}

/// An HttpServer whose handler is replaceable per test; records every request.
class HttpFixture {
 public:
  HttpFixture() = default;
  HttpFixture(const HttpFixture&) = delete;
  HttpFixture& operator=(const HttpFixture&) = delete;
  ~HttpFixture() {
    io.stop();
    server.reset();
  }

  void start(HttpServerOptions options = http_options()) {
    server = std::make_unique<HttpServer>(io.io, std::move(options), [this](HttpRequest req, Responder respond) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
      }
      handler(std::move(req), std::move(respond));
    });
    REQUIRE(!server->listen());
    port = server->local_port();
    REQUIRE(port != 0);
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

  /// Default: 200 with "<method> <path>" as a JSON string.
  std::function<void(HttpRequest, Responder)> handler = [](HttpRequest req, Responder respond) {
    HttpResponse res;
    res.body = "\"" + req.method + " " + req.path + "\"";
    respond(std::move(res));
  };
  IoThreads io{2};
  std::unique_ptr<HttpServer> server;
  std::uint16_t port = 0;

 private:
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

http::request<http::string_body> make_request(http::verb verb, const std::string& target,
                                              const std::string& body = "") {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty() || verb == http::verb::post) {
    req.body() = body;
    req.prepare_payload();
  }
  return req;
}

}  // namespace

TEST_CASE("http: a GET is parsed into path, query and lower-cased headers", "[http]") {
  HttpFixture fx;
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/api/v0/token?offset=0&limit=10&q=two+words");
  req.set("X-Test-Header", "Value");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "\"GET /api/v0/token\"");
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res[http::field::server] == "evbroker");
  CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
  CHECK(res.keep_alive());

  const auto requests = fx.requests();
  REQUIRE(requests.size() == 1);
  const auto& seen = requests[0];
  CHECK(seen.method == "GET");
  CHECK(seen.target == "/api/v0/token?offset=0&limit=10&q=two+words");
  CHECK(seen.path == "/api/v0/token");
  CHECK(seen.query == "offset=0&limit=10&q=two+words");
  CHECK(seen.header("x-test-header") == "Value");
  CHECK(seen.header("host") == "127.0.0.1");
  CHECK(seen.remote_address.rfind("127.0.0.1:", 0) == 0);
  CHECK(evbroker::transport::parse_query(seen.query) ==
        std::vector<std::pair<std::string, std::string>>{{"offset", "0"}, {"limit", "10"}, {"q", "two words"}});
}

TEST_CASE("http: a POST body reaches the handler, status, type and extra headers come back", "[http]") {
  HttpFixture fx;
  fx.handler = [](HttpRequest req, Responder respond) {
    HttpResponse res;
    res.status = 201;
    res.content_type = "text/plain";
    res.body = "got " + req.body;
    res.headers = {{"Location", "/api/v0/thing/1"}};
    respond(std::move(res));
  };
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::post, "/api/v0/thing", R"({"a":1})");
  req.set(http::field::content_type, "application/json");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 201);
  CHECK(res.body() == R"(got {"a":1})");
  CHECK(res[http::field::content_type] == "text/plain");
  CHECK(res["Location"] == "/api/v0/thing/1");
  REQUIRE(fx.request_count() == 1);
  CHECK(fx.requests()[0].body == R"({"a":1})");
  CHECK(fx.requests()[0].method == "POST");
  CHECK(fx.requests()[0].header("content-type") == "application/json");
}

TEST_CASE("http: two requests on one keep-alive connection", "[http]") {
  HttpFixture fx;
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  for (const std::string path : {"/one", "/two"}) {
    auto req = make_request(http::verb::get, path);
    REQUIRE(!client.write_request(req));
    http::response<http::string_body> res;
    REQUIRE(!client.read_response(res));
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "\"GET " + path + "\"");
    CHECK(res.keep_alive());
  }
  const auto requests = fx.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].remote_address == requests[1].remote_address);  // the same socket
}

TEST_CASE("http: a client asking for Connection: close gets it", "[http]") {
  HttpFixture fx;
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/bye");
  req.keep_alive(false);
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK_FALSE(res.keep_alive());
  std::string rest;
  CHECK(client.read_to_end(rest) == net::error::eof);
  CHECK(rest.empty());
}

TEST_CASE("http: a body over the limit gets 413 with a JSON error", "[http]") {
  HttpFixture fx;
  auto options = http_options();
  options.max_body_bytes = 16;
  fx.start(options);
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::post, "/api/v0/big", std::string(100, 'x'));
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 413);
  CHECK(res.body() == R"({"status":"Payload Too Large","error":"request body exceeds 16 bytes"})");
  CHECK(res[http::field::content_type] == "application/json");
  CHECK_FALSE(res.keep_alive());
  CHECK(fx.request_count() == 0);
}

TEST_CASE("http: a body within the limit is accepted (chunked too)", "[http]") {
  HttpFixture fx;
  auto options = http_options();
  options.max_body_bytes = 16;
  fx.handler = [](HttpRequest req, Responder respond) { respond(HttpResponse{200, "text/plain", req.body, {}, {}}); };
  fx.start(options);
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  REQUIRE(
      !client.write("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "hello world");
}

TEST_CASE("http: a per-request body limit decides from the header, Content-Length and chunked alike", "[http]") {
  HttpFixture fx;
  auto options = http_options();
  options.max_body_bytes = 0;
  options.body_limit_for = [](const HttpRequest& head) -> std::size_t { return head.path == "/upload" ? 32 : 0; };
  fx.handler = [](HttpRequest req, Responder respond) { respond(HttpResponse{201, "text/plain", req.body, {}, {}}); };
  fx.start(options);
  auto send = [&](const std::string& path, const std::string& body) {
    RawClient client;
    REQUIRE(!client.connect(fx.port));
    auto req = make_request(http::verb::post, path, body);
    REQUIRE(!client.write_request(req));
    http::response<http::string_body> res;
    REQUIRE(!client.read_response(res));
    return res;
  };
  CHECK(send("/upload", std::string(32, 'u')).result_int() == 201);
  auto big = send("/upload", std::string(33, 'u'));
  CHECK(big.result_int() == 413);
  CHECK(big.body() == R"({"status":"Payload Too Large","error":"request body exceeds 32 bytes"})");
  CHECK(send("/other", "x").result_int() == 413);
  RawClient chunked;
  REQUIRE(!chunked.connect(fx.port));
  REQUIRE(
      !chunked.write("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "20\r\n" +
                     std::string(32, 'c') + "\r\n5\r\nmore!\r\n0\r\n\r\n"));
  http::response<http::string_body> res;
  REQUIRE(!chunked.read_response(res));
  CHECK(res.result_int() == 413);
}

TEST_CASE("http: a file body is streamed from disk, HEAD gets its length, a missing file 404", "[http]") {
  const std::string path = "/tmp/evb-http-file-" + std::to_string(::getpid());
  const std::string content(300000, 'f');
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  HttpFixture fx;
  fx.handler = [path](HttpRequest req, Responder respond) {
    HttpResponse response;
    response.content_type = "application/octet-stream";
    response.file_path = req.path == "/missing" ? path + ".none" : path;
    respond(std::move(response));
  };
  fx.start(http_options());
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto first_get = make_request(http::verb::get, "/file", "");
  REQUIRE(!client.write_request(first_get));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 200);
  CHECK(res.body() == content);
  // The same connection goes on, the body written to its end.
  auto second_get = make_request(http::verb::get, "/file", "");
  REQUIRE(!client.write_request(second_get));
  http::response<http::string_body> again;
  REQUIRE(!client.read_response(again));
  CHECK(again.body().size() == content.size());
  RawClient head_client;
  REQUIRE(!head_client.connect(fx.port));
  REQUIRE(!head_client.write("HEAD /file HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::string head;
  head_client.read_to_end(head);
  CHECK_THAT(head, Catch::Contains("Content-Length: 300000"));
  CHECK(head.size() < 1000);  // the header only
  RawClient other;
  REQUIRE(!other.connect(fx.port));
  auto missing_get = make_request(http::verb::get, "/missing", "");
  REQUIRE(!other.write_request(missing_get));
  http::response<http::string_body> missing;
  REQUIRE(!other.read_response(missing));
  CHECK(missing.result_int() == 404);
  std::remove(path.c_str());
}

TEST_CASE("http: malformed HTTP gets 400 and the connection closes", "[http]") {
  HttpFixture fx;
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  REQUIRE(!client.write("THIS IS NOT HTTP\r\n\r\n"));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 400);
  CHECK(res.body().rfind(R"({"status":"Bad Request","error":"malformed HTTP request)", 0) == 0);
  CHECK_FALSE(res.keep_alive());
  std::string rest;
  CHECK(client.read_to_end(rest) == net::error::eof);
  CHECK(fx.request_count() == 0);
}

TEST_CASE("http: the Responder may answer later from another thread", "[http]") {
  HttpFixture fx;
  std::mutex mutex;
  std::optional<Responder> parked;
  fx.handler = [&](HttpRequest req, Responder respond) {
    if (req.path != "/slow") {
      respond(HttpResponse{200, "text/plain", "next", {}, {}});
      return;
    }
    std::lock_guard lock(mutex);
    parked = std::move(respond);
  };
  fx.start();
  std::thread answerer([&] {
    Responder respond;
    const bool got = eventually([&] {
      std::lock_guard lock(mutex);
      if (!parked) return false;
      respond = *parked;  // a copy answers as well as the original
      return true;
    });
    if (!got) return;
    respond(HttpResponse{202, "application/json", R"({"later":true})", {}, {}});
    respond(HttpResponse{500, "application/json", "{}", {}, {}});  // a second call is ignored
  });
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/slow");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  const auto ec = client.read_response(res);
  answerer.join();
  REQUIRE(!ec);
  CHECK(res.result_int() == 202);
  CHECK(res.body() == R"({"later":true})");
  // The connection is still usable: the next request gets its own answer.
  auto again = make_request(http::verb::get, "/next");
  REQUIRE(!client.write_request(again));
  http::response<http::string_body> res2;
  REQUIRE(!client.read_response(res2));
  CHECK(res2.body() == "next");
  std::lock_guard lock(mutex);
  parked.reset();
}

TEST_CASE("http: a Responder dropped without an answer yields 500", "[http]") {
  HttpFixture fx;
  fx.handler = [](HttpRequest, Responder) {};  // drops it
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/dropped");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 500);
  CHECK(res.body() == R"({"status":"Internal Server Error","error":"the request was dropped without a response"})");
}

TEST_CASE("http: a Responder never called is cut short by request_timeout", "[http]") {
  HttpFixture fx;
  std::mutex mutex;
  std::vector<Responder> kept;
  fx.handler = [&](HttpRequest, Responder respond) {
    std::lock_guard lock(mutex);
    kept.push_back(std::move(respond));
  };
  auto options = http_options();
  options.request_timeout = std::chrono::seconds(1);
  fx.start(options);
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/forever");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 503);
  CHECK(res.body() == R"({"status":"Service Unavailable","error":"request timed out"})");
  CHECK_FALSE(res.keep_alive());
  std::string rest;
  CHECK(client.read_to_end(rest) == net::error::eof);
  // A late answer goes nowhere (and does not crash).
  std::lock_guard lock(mutex);
  REQUIRE(kept.size() == 1);
  kept[0](HttpResponse{});
}

TEST_CASE("http: a handler learns when its client gives up on the request", "[http]") {
  HttpFixture fx;
  std::mutex mutex;
  std::vector<Responder> kept;
  std::atomic<int> abandoned{0};
  fx.handler = [&](HttpRequest req, Responder respond) {
    REQUIRE(req.watch);
    req.watch->on_abandoned([&abandoned] { ++abandoned; });
    std::lock_guard lock(mutex);
    kept.push_back(std::move(respond));
  };
  fx.start();
  {
    RawClient client;
    REQUIRE(!client.connect(fx.port));
    auto req = make_request(http::verb::post, "/call", "{}");
    REQUIRE(!client.write_request(req));
    REQUIRE(eventually([&] { return fx.request_count() == 1; }));
    CHECK(abandoned == 0);
    client.close();  // gives up before the answer
  }
  CHECK(eventually([&] { return abandoned == 1; }));
  std::lock_guard lock(mutex);
  kept[0](HttpResponse{});  // a late answer goes nowhere
}

TEST_CASE("http: a client that waits for its answer is not taken for gone, keep-alive goes on", "[http]") {
  HttpFixture fx;
  std::atomic<int> abandoned{0};
  // The answering threads are joined before the server goes (declared after it): a detached one
  // could still hold its Responder when the server is destroyed, which failed the test now and then.
  struct Answerers {
    std::mutex mutex;
    std::vector<std::thread> threads;
    ~Answerers() {
      std::lock_guard lock(mutex);
      for (auto& t : threads) t.join();
    }
  } answerers;
  fx.handler = [&](HttpRequest req, Responder respond) {
    req.watch->on_abandoned([&abandoned] { ++abandoned; });
    std::lock_guard lock(answerers.mutex);
    answerers.threads.emplace_back([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the answer comes later
      respond(HttpResponse{200, "application/json", "{}", {}, {}});
    });
  };
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  for (int i = 0; i < 3; ++i) {
    auto req = make_request(http::verb::get, "/again");
    REQUIRE(!client.write_request(req));
    http::response<http::string_body> res;
    REQUIRE(!client.read_response(res));
    CHECK(res.result_int() == 200);
  }
  // Two requests written at once (pipelined): the second is read from what the watch took in.
  auto first = make_request(http::verb::get, "/p1");
  auto second = make_request(http::verb::get, "/p2");
  REQUIRE(!client.write_request(first));
  REQUIRE(!client.write_request(second));
  for (int i = 0; i < 2; ++i) {
    http::response<http::string_body> res;
    REQUIRE(!client.read_response(res));
    CHECK(res.result_int() == 200);
  }
  CHECK(abandoned == 0);
  CHECK(fx.request_count() == 5);
}

TEST_CASE("http: a handler that throws yields 500", "[http]") {
  HttpFixture fx;
  fx.handler = [](HttpRequest, Responder) { throw std::runtime_error("boom"); };
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/throws");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 500);
}

TEST_CASE("http: Expect: 100-continue gets its interim answer", "[http]") {
  HttpFixture fx;
  fx.handler = [](HttpRequest req, Responder respond) { respond(HttpResponse{200, "text/plain", req.body, {}, {}}); };
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  REQUIRE(!client.write("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  http::response<http::string_body> interim;
  REQUIRE(!client.read_response(interim));
  CHECK(interim.result_int() == 100);
  REQUIRE(!client.write("data"));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "data");
}

TEST_CASE("http: stop() closes idle keep-alive connections and refuses new ones", "[http]") {
  HttpFixture fx;
  fx.start();
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  auto req = make_request(http::verb::get, "/a");
  REQUIRE(!client.write_request(req));
  http::response<http::string_body> res;
  REQUIRE(!client.read_response(res));
  CHECK(res.keep_alive());
  fx.server->stop();
  std::string rest;
  CHECK(client.read_to_end(rest));  // closed by the server
  CHECK(rest.empty());
  RawClient late;
  CHECK(late.connect(fx.port));  // nobody listens any more
}

TEST_CASE("http: the idle timeout closes a connection without a request", "[http]") {
  HttpFixture fx;
  auto options = http_options();
  options.idle_timeout = std::chrono::seconds(1);
  fx.start(options);
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  std::string rest;
  CHECK(client.read_to_end(rest));
  CHECK(rest.empty());
}

TEST_CASE("http: listen reports a port already in use", "[http]") {
  HttpFixture fx;
  fx.start();
  IoThreads other_io{1};
  auto options = http_options();
  options.port = fx.port;
  HttpServer second(other_io.io, options, [](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  CHECK(second.listen() == std::errc::address_in_use);
  other_io.stop();
}
