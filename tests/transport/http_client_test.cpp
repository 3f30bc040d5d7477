// The HTTP client against the project's own HttpServer (and, for https, the wss listener, which
// answers a plain GET with 426 after the TLS handshake) on loopback ports. A few cases need a peer
// that misbehaves on purpose (closes a kept-alive connection): a tiny blocking socket server here.
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "protocol/transport/http_client.hpp"
#include "protocol/transport/http_client_url.hpp"
#include "protocol/transport/http_server.hpp"
#include "protocol/transport/ws_server.hpp"
#include "tests/transport/test_support.hpp"

using namespace transport_test;
using evbroker::transport::HttpClient;
using evbroker::transport::HttpClientError;
using evbroker::transport::HttpClientOptions;
using evbroker::transport::HttpClientRequest;
using evbroker::transport::HttpClientResult;
using evbroker::transport::HttpRequest;
using evbroker::transport::HttpResponse;
using evbroker::transport::HttpServer;
using evbroker::transport::HttpServerOptions;
using evbroker::transport::Responder;
using evbroker::transport::detail::parse_client_url;
using tcp = boost::asio::ip::tcp;

namespace {

/// An HttpServer with a replaceable handler that records each request (and its peer address).
class Server {
 public:
  explicit Server(HttpServerOptions options = defaults()) {
    server_ = std::make_unique<HttpServer>(io_.io, std::move(options), [this](HttpRequest req, Responder respond) {
      std::function<void(HttpRequest, Responder)> current;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
        current = handler_;
      }
      current(std::move(req), std::move(respond));
    });
    REQUIRE(!server_->listen());
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {
    io_.stop();
    server_.reset();
  }
  static HttpServerOptions defaults() {
    HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 16 * 1024 * 1024;
    return options;
  }
  void set_handler(std::function<void(HttpRequest, Responder)> handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server_->local_port()) + target;
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  /// Distinct client ip:port pairs seen: one per TCP connection the client opened.
  std::size_t connections() const {
    std::set<std::string> peers;
    for (const auto& req : requests()) peers.insert(req.remote_address);
    return peers.size();
  }

 private:
  IoThreads io_{2};
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  std::function<void(HttpRequest, Responder)> handler_ = [](HttpRequest req, Responder respond) {
    HttpResponse res;
    res.content_type = "text/plain";
    res.body = req.method + " " + req.target + " " + req.body;
    respond(std::move(res));
  };
};

/// Sends one request and waits for its callback (which must come exactly once).
HttpClientResult fetch(HttpClient& client, HttpClientRequest request) {
  auto promise = std::make_shared<std::promise<HttpClientResult>>();
  auto future = promise->get_future();
  client.request(std::move(request), [promise](HttpClientResult result) { promise->set_value(std::move(result)); });
  REQUIRE(future.wait_for(kDeadline) == std::future_status::ready);
  return future.get();
}

HttpClientRequest get(std::string url) {
  HttpClientRequest request;
  request.url = std::move(url);
  return request;
}

/// A port nothing listens on (bound, then closed: the kernel will refuse connections to it).
std::uint16_t closed_port() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

/// A blocking one-thread HTTP peer for the cases HttpServer will not produce: per connection (by
/// index, in accept order), after reading a request it answers "200 ok" with keep-alive or not at
/// all, then keeps the connection, closes it, or waits for the client to close it.
class ScriptedPeer {
 public:
  enum class Then { keep_open, close, wait_for_client_close };
  struct Step {
    bool respond = true;
    Then then = Then::keep_open;
  };

  explicit ScriptedPeer(std::function<Step(int)> script)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)),
        thread_([this] { serve(); }) {}
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;
  ~ScriptedPeer() {
    stopping_ = true;
    boost::system::error_code ignored;
    {  // wakes a blocking accept
      boost::asio::io_context io;
      tcp::socket poke(io);
      poke.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/"; }
  int accepted() const { return accepted_.load(); }
  int closed_by_peer() const { return closed_by_peer_.load(); }
  int closed_by_client() const { return closed_by_client_.load(); }

 private:
  void serve() {
    for (int index = 0; !stopping_; ++index) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      ++accepted_;
      serve_connection(index, socket);
    }
  }
  void serve_connection(int index, tcp::socket& socket) {
    static const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (;;) {
      boost::system::error_code ec;
      boost::asio::streambuf buffer;
      boost::asio::read_until(socket, buffer, "\r\n\r\n", ec);
      if (ec) return;
      const Step step = script_(index);
      if (step.respond) boost::asio::write(socket, boost::asio::buffer(response), ec);
      if (ec) return;
      if (step.then == Then::close) {
        socket.close();
        ++closed_by_peer_;
        return;
      }
      if (step.then == Then::wait_for_client_close) {
        char byte = 0;
        socket.read_some(boost::asio::buffer(&byte, 1), ec);
        if (ec) ++closed_by_client_;
        return;
      }
    }
  }
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<Step(int)> script_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_by_peer_{0};
  std::atomic<int> closed_by_client_{0};
  std::thread thread_;
};

// ---- an in-memory PKI for the https cases ----------------------------------------------------------

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// `san` empty: a self-signed CA; else a server certificate for `san` signed by the CA.
Cert issue(const char* cn, EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key, const std::string& san) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), san.empty() ? 1 : 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = ca != nullptr ? ca : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_ext(cert.get(), signer, NID_basic_constraints, san.empty() ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (!san.empty()) add_ext(cert.get(), signer, NID_subject_alt_name, san);
  check(X509_sign(cert.get(), ca_key != nullptr ? ca_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

/// A CA written to a PEM file (the client's ca_file) and a wss listener with a certificate it signed.
class TlsPeer {
 public:
  explicit TlsPeer(const std::string& san) {
    ca_key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    ca_ = issue("http client test CA", ca_key_.get(), nullptr, nullptr, "");
    key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    cert_ = issue("server", key_.get(), ca_.get(), ca_key_.get(), san);
    ca_file = (std::filesystem::temp_directory_path() /
               ("http_client_test_ca_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".pem"))
                  .string();
    FILE* file = std::fopen(ca_file.c_str(), "w");
    check(file != nullptr && PEM_write_X509(file, ca_.get()) == 1, "writing the CA file");
    std::fclose(file);

    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    check(SSL_CTX_use_certificate(context->native_handle(), cert_.get()) == 1, "use certificate");
    check(SSL_CTX_use_PrivateKey(context->native_handle(), key_.get()) == 1, "use key");
    evbroker::transport::WsServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.tls = context;
    server_ = std::make_unique<evbroker::transport::WsServer>(io_.io, options, evbroker::transport::WsCallbacks{});
    REQUIRE(!server_->listen());
  }
  TlsPeer(const TlsPeer&) = delete;
  TlsPeer& operator=(const TlsPeer&) = delete;
  ~TlsPeer() {
    io_.stop();
    server_.reset();
    std::filesystem::remove(ca_file);
  }
  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(server_->local_port()) + "/hello";
  }
  std::string ca_file;

 private:
  Key ca_key_, key_;
  Cert ca_, cert_;
  IoThreads io_{1};
  std::unique_ptr<evbroker::transport::WsServer> server_;
};

}  // namespace

TEST_CASE("http client: URLs are split into host, port and target", "[http-client]") {
  auto url = parse_client_url("http://example.com");
  REQUIRE(url);
  CHECK(!url->tls);
  CHECK(url->host == "example.com");
  CHECK(url->port == 80);
  CHECK(url->target == "/");
  CHECK(url->host_header == "example.com");

  url = parse_client_url("HTTPS://open.plugncharge-test.hubject.com/v1/ccp/signedContractData?x=1");
  REQUIRE(url);
  CHECK(url->tls);
  CHECK(url->port == 443);
  CHECK(url->target == "/v1/ccp/signedContractData?x=1");

  url = parse_client_url("https://[::1]:8443?a=b");
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == 8443);
  CHECK(url->target == "/?a=b");
  CHECK(url->host_header == "[::1]:8443");

  url = parse_client_url("http://127.0.0.1:8080/ocsp/MEUw");
  REQUIRE(url);
  CHECK(url->host_header == "127.0.0.1:8080");
  CHECK(url->target == "/ocsp/MEUw");

  for (const char* bad : {"", "ftp://host/", "http://", "http://:80/", "http://host:/", "http://host:0/",
                          "http://host:65536/", "http://host:8x/", "http://[::1/", "http://[xyz]/", "http://user@host/",
                          "http://host/a b", "http://host/#frag", "http://ho$t/", "http://[::1]x/"}) {
    INFO(bad);
    CHECK_FALSE(parse_client_url(bad));
  }
}

TEST_CASE("http client: GET and POST carry headers and bodies both ways", "[http-client]") {
  Server server;
  IoThreads io{1};
  HttpClient client(io.io, {});

  auto result = fetch(client, get(server.url("/v1/root/rootCerts?x=1")));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == "GET /v1/root/rootCerts?x=1 ");
  CHECK(result->header("content-type") == "text/plain");
  CHECK(result->header("Content-Type").empty());  // names are lower-cased

  server.set_handler([](HttpRequest req, Responder respond) {
    HttpResponse res;
    res.status = 201;
    res.content_type = "application/pkcs7-mime";
    res.body = "echo:" + req.body + ":" + req.header("content-type") + ":" + req.header("authorization");
    res.headers = {{"X-Reply", "yes"}};
    respond(std::move(res));
  });
  HttpClientRequest post;
  post.method = "POST";
  post.url = server.url("/cpo/simpleenroll/ISO15118-2");
  post.headers = {{"Content-Type", "application/pkcs10"}, {"Authorization", "Bearer abc"}};
  post.body = "MIIB...";
  result = fetch(client, post);
  REQUIRE(result);
  CHECK(result->status == 201);
  CHECK(result->body == "echo:MIIB...:application/pkcs10:Bearer abc");
  CHECK(result->header("x-reply") == "yes");
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].header("host") == "127.0.0.1:" + server.url("").substr(server.url("").rfind(':') + 1));
  CHECK(requests[1].header("content-length") == "7");

  post.body.clear();  // an empty POST still says Content-Length: 0
  result = fetch(client, post);
  REQUIRE(result);
  CHECK(server.requests().back().header("content-length") == "0");
}

TEST_CASE("http client: keep-alive connections are reused, up to max_idle_per_host", "[http-client]") {
  Server server;
  IoThreads io{2};
  SECTION("sequential requests share one connection") {
    HttpClient client(io.io, {});
    for (int i = 0; i < 5; ++i) REQUIRE(fetch(client, get(server.url("/n" + std::to_string(i)))));
    CHECK(server.requests().size() == 5);
    CHECK(server.connections() == 1);
  }
  SECTION("no idle pool: a connection per request") {
    HttpClientOptions options;
    options.max_idle_per_host = 0;
    HttpClient client(io.io, options);
    for (int i = 0; i < 3; ++i) REQUIRE(fetch(client, get(server.url("/"))));
    CHECK(server.connections() == 3);
  }
  SECTION("concurrent requests each get a connection, and all of them come back") {
    HttpClient client(io.io, {});
    std::vector<std::future<HttpClientResult>> futures;
    for (int i = 0; i < 4; ++i) {
      auto promise = std::make_shared<std::promise<HttpClientResult>>();
      futures.push_back(promise->get_future());
      client.request(get(server.url("/c" + std::to_string(i))),
                     [promise](HttpClientResult result) { promise->set_value(std::move(result)); });
    }
    for (auto& future : futures) {
      REQUIRE(future.wait_for(kDeadline) == std::future_status::ready);
      auto result = future.get();
      REQUIRE(result);
      CHECK(result->status == 200);
    }
    const std::size_t opened = server.connections();
    CHECK(opened >= 1);
    CHECK(opened <= 4);
    for (int i = 0; i < 4; ++i) REQUIRE(fetch(client, get(server.url("/again"))));
    CHECK(server.connections() == opened);  // pooled ones were reused, no new connection
  }
}

TEST_CASE("http client: the deadline covers a server that answers late", "[http-client]") {
  Server server;
  std::mutex mutex;
  std::vector<Responder> held;
  server.set_handler([&](HttpRequest, Responder respond) {
    std::lock_guard lock(mutex);
    held.push_back(std::move(respond));
  });
  IoThreads io{1};
  HttpClient client(io.io, {});
  auto request = get(server.url("/slow"));
  request.timeout = std::chrono::milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  auto result = fetch(client, request);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::timeout);
  CHECK(took >= std::chrono::milliseconds(200));
  CHECK(result.error().message.find("no response within 200 ms") != std::string::npos);
  {
    std::lock_guard lock(mutex);
    REQUIRE(held.size() == 1);
    held[0](HttpResponse{});  // too late: the connection is gone, and nothing is called twice
  }
  // The timed-out connection was not pooled: the next request opens a new one and succeeds.
  server.set_handler([](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  REQUIRE(fetch(client, get(server.url("/fast"))));
  CHECK(server.connections() == 2);
}

TEST_CASE("http client: connection refused, bad URLs and unresolvable hosts fail with their kind", "[http-client]") {
  IoThreads io{1};
  HttpClient client(io.io, {});
  auto result = fetch(client, get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::connect);
  CHECK(result.error().message.find("connect to 127.0.0.1:") == 0);

  result = fetch(client, get("htp://127.0.0.1/"));
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::bad_url);

  result = fetch(client, get("http://name.invalid/"));  // RFC 6761: never resolves
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::resolve);
}

TEST_CASE("http client: a body above max_body_bytes fails as too_large", "[http-client]") {
  Server server;
  server.set_handler([](HttpRequest, Responder respond) {
    HttpResponse res;
    res.body.assign(2 * 1024 * 1024, 'x');
    respond(std::move(res));
  });
  IoThreads io{1};
  HttpClientOptions options;
  options.max_body_bytes = 1024 * 1024;
  HttpClient client(io.io, options);
  auto result = fetch(client, get(server.url("/big")));
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::too_large);

  options.max_body_bytes = 4 * 1024 * 1024;
  HttpClient roomy(io.io, options);
  result = fetch(roomy, get(server.url("/big")));
  REQUIRE(result);
  CHECK(result->body.size() == 2 * 1024 * 1024);
}

TEST_CASE("http client: a kept-alive connection the peer closed is retried once on a new one", "[http-client]") {
  using Then = ScriptedPeer::Then;
  // The first connection is closed right after its response, while the client has it pooled.
  ScriptedPeer peer([](int index) { return ScriptedPeer::Step{true, index == 0 ? Then::close : Then::keep_open}; });
  IoThreads io{1};
  HttpClient client(io.io, {});
  REQUIRE(fetch(client, get(peer.url())));
  REQUIRE(eventually([&] { return peer.closed_by_peer() == 1; }));
  auto result = fetch(client, get(peer.url()));
  REQUIRE(result);
  CHECK(result->body == "ok");
  CHECK(peer.accepted() == 2);
}

TEST_CASE("http client: the retry is only once, and a fresh connection's failure is not retried", "[http-client]") {
  using Then = ScriptedPeer::Then;
  // Connection 0 answers, then closes while pooled; every later connection closes without answering.
  ScriptedPeer peer([](int index) { return ScriptedPeer::Step{index == 0, Then::close}; });
  IoThreads io{1};
  HttpClient client(io.io, {});
  REQUIRE(fetch(client, get(peer.url())));
  REQUIRE(eventually([&] { return peer.closed_by_peer() == 1; }));
  auto result = fetch(client, get(peer.url()));  // stale connection 0, then fresh connection 1 fails
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::io);
  CHECK(peer.accepted() == 2);
  result = fetch(client, get(peer.url()));  // nothing pooled: one fresh connection, no retry
  REQUIRE_FALSE(result);
  CHECK(peer.accepted() == 3);
}

TEST_CASE("http client: idle connections are closed after idle_timeout", "[http-client]") {
  ScriptedPeer peer([](int) { return ScriptedPeer::Step{true, ScriptedPeer::Then::wait_for_client_close}; });
  IoThreads io{1};
  HttpClientOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  HttpClient client(io.io, options);
  REQUIRE(fetch(client, get(peer.url())));
  CHECK(eventually([&] { return peer.closed_by_client() == 1; }));
}

TEST_CASE("http client: stop() fails requests in flight and later ones, each callback once", "[http-client]") {
  Server server;
  std::mutex mutex;
  std::vector<Responder> held;
  server.set_handler([&](HttpRequest, Responder respond) {
    std::lock_guard lock(mutex);
    held.push_back(std::move(respond));
  });
  IoThreads io{2};
  HttpClient client(io.io, {});
  std::atomic<int> calls{0};
  auto promise = std::make_shared<std::promise<HttpClientResult>>();
  auto future = promise->get_future();
  client.request(get(server.url("/hang")), [promise, &calls](HttpClientResult result) {
    ++calls;
    promise->set_value(std::move(result));
  });
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return held.size() == 1;
  }));
  client.stop();
  REQUIRE(future.wait_for(kDeadline) == std::future_status::ready);
  auto result = future.get();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::io);
  held[0](HttpResponse{});
  CHECK(stays_false([&] { return calls.load() != 1; }, std::chrono::milliseconds(100)));

  result = fetch(client, get(server.url("/after")));
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == HttpClientError::Kind::io);
}

TEST_CASE("http client: https verifies the peer against ca_file and the host name", "[http-client][tls]") {
  TlsPeer peer("DNS:localhost,IP:127.0.0.1");
  IoThreads io{1};
  HttpClientOptions options;
  options.ca_file = peer.ca_file;
  HttpClient client(io.io, options);
  // The wss listener answers a GET that is no websocket upgrade with 426 (after the handshake).
  auto result = fetch(client, get(peer.url("127.0.0.1")));
  REQUIRE(result);
  CHECK(result->status == 426);
  result = fetch(client, get(peer.url("localhost")));  // by name, with SNI
  REQUIRE(result);
  CHECK(result->status == 426);

  SECTION("a certificate for another name is refused") {
    TlsPeer other("DNS:other.example");
    HttpClientOptions other_options;
    other_options.ca_file = other.ca_file;
    HttpClient strict(io.io, other_options);
    result = fetch(strict, get(other.url("127.0.0.1")));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == HttpClientError::Kind::tls);
  }
  SECTION("a server certificate from a CA we do not trust is refused") {
    TlsPeer stranger("IP:127.0.0.1");
    result = fetch(client, get(stranger.url("127.0.0.1")));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == HttpClientError::Kind::tls);
    CHECK(result.error().message.find("TLS handshake with 127.0.0.1:") == 0);
  }
  SECTION("an unreadable ca_file fails every https request") {
    HttpClientOptions broken;
    broken.ca_file = "/nonexistent/ca.pem";
    HttpClient misconfigured(io.io, broken);
    result = fetch(misconfigured, get(peer.url("127.0.0.1")));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == HttpClientError::Kind::tls);
    CHECK(result.error().message.find("/nonexistent/ca.pem") != std::string::npos);
  }
}
