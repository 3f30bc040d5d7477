// The websocket listener over TLS (wss), with certificates generated at test time.
#include <memory>
#include <stdexcept>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/transport/ws_client.hpp"
#include "tests/transport/ws_fixture.hpp"

using namespace transport_test;
namespace ssl = boost::asio::ssl;

namespace {

using TlsClient = BasicWsClient<beast::ssl_stream<beast::tcp_stream>>;

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

Key make_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EVP_PKEY_Q_keygen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate for `cn` signed by `issuer_key` (self-signed when issuer is null).
Cert make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca, long serial) {
  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("evbroker test"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (ca) add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!ca) add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

/// A CA, a server certificate and client certificates, all made in memory.
struct Pki {
  Pki() {
    ca_key = make_key();
    ca = make_cert("evbroker test CA", ca_key.get(), nullptr, nullptr, true, 1);
    server_key = make_key();
    server = make_cert("localhost", server_key.get(), ca.get(), ca_key.get(), false, 2);
    client_key = make_key();
    client = make_cert("CS-TLS-1", client_key.get(), ca.get(), ca_key.get(), false, 3);
    rogue_ca_key = make_key();
    rogue_ca = make_cert("rogue CA", rogue_ca_key.get(), nullptr, nullptr, true, 4);
    rogue_key = make_key();
    rogue = make_cert("CS-TLS-1", rogue_key.get(), rogue_ca.get(), rogue_ca_key.get(), false, 5);
  }
  Key ca_key, server_key, client_key, rogue_ca_key, rogue_key;
  Cert ca, server, client, rogue_ca, rogue;
};

void trust(ssl::context& ctx, X509* ca) {
  check(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.native_handle()), ca) == 1, "X509_STORE_add_cert");
}

void use(ssl::context& ctx, X509* cert, EVP_PKEY* key) {
  check(SSL_CTX_use_certificate(ctx.native_handle(), cert) == 1, "SSL_CTX_use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx.native_handle(), key) == 1, "SSL_CTX_use_PrivateKey");
}

/// Requests a client certificate and, unless `permissive`, verifies it against the CA.
std::shared_ptr<ssl::context> server_context(const Pki& pki, bool permissive = false) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  use(*ctx, pki.server.get(), pki.server_key.get());
  trust(*ctx, pki.ca.get());
  ctx->set_verify_mode(ssl::verify_peer);  // a certificate is optional (no fail_if_no_peer_cert)
  if (permissive) ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
  return ctx;
}

ssl::context client_context(const Pki& pki, X509* cert = nullptr, EVP_PKEY* key = nullptr) {
  ssl::context ctx(ssl::context::tls_client);
  trust(ctx, pki.ca.get());
  ctx.set_verify_mode(ssl::verify_peer);
  if (cert != nullptr) use(ctx, cert, key);
  return ctx;
}

}  // namespace

TEST_CASE("wss: the upgrade reports TLS and the verified client certificate's CN", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  Worker worker;
  fx.on_open = [&worker](RecordingHandler& handler) {
    handler.set_hook([&worker, weak = handler.connection](const std::string& text) {
      worker.submit([weak, text] {
        if (auto connection = weak.lock()) {
          connection->send_text(text);
          connection->consumed();
        }
      });
    });
  };
  auto options = test_options();
  options.tls = server_context(pki);
  fx.start(options);

  auto ctx = client_context(pki, pki.client.get(), pki.client_key.get());
  TlsClient client(&ctx);
  HandshakeOptions hs;
  hs.target = "/ws/CS-TLS-1";
  websocket::response_type res;
  REQUIRE(!client.connect(fx.port, hs, &res));
  CHECK(res[http::field::sec_websocket_protocol] == "ocpp1.6");
  const auto decided = fx.decided();
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].tls);
  CHECK(decided[0].station_id == "CS-TLS-1");
  REQUIRE(decided[0].client_cert_cn);
  CHECK(*decided[0].client_cert_cn == "CS-TLS-1");

  for (int i = 0; i < 20; ++i) REQUIRE(!client.write("tls " + std::to_string(i)));
  for (int i = 0; i < 20; ++i) {
    std::string text;
    REQUIRE(!client.read(text));
    CHECK(text == "tls " + std::to_string(i));
  }
  REQUIRE(!client.close(1000, "bye"));
  auto handler = fx.wait_handler();
  REQUIRE(eventually([&] { return handler->closed_count() == 1; }));
  CHECK(handler->closed()[0] == "closed by peer (code 1000: bye)");
}

TEST_CASE("wss: without a client certificate there is no CN", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  auto options = test_options();
  options.tls = server_context(pki);
  fx.start(options);
  auto ctx = client_context(pki);
  TlsClient client(&ctx);
  REQUIRE(!client.connect(fx.port));
  const auto decided = fx.decided();
  REQUIRE(decided.size() == 1);
  CHECK(decided[0].tls);
  CHECK_FALSE(decided[0].client_cert_cn);
}

TEST_CASE("wss: a certificate that failed verification gives no CN", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  auto options = test_options();
  options.tls = server_context(pki, /*permissive=*/true);  // lets the handshake finish anyway
  fx.start(options);
  auto ctx = client_context(pki, pki.rogue.get(), pki.rogue_key.get());
  TlsClient client(&ctx);
  REQUIRE(!client.connect(fx.port));
  const auto decided = fx.decided();
  REQUIRE(decided.size() == 1);
  CHECK_FALSE(decided[0].client_cert_cn);
}

TEST_CASE("wss: a server with a strict verify refuses an untrusted client certificate", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  auto options = test_options();
  options.tls = server_context(pki);
  fx.start(options);
  auto ctx = client_context(pki, pki.rogue.get(), pki.rogue_key.get());
  TlsClient client(&ctx);
  CHECK(client.connect(fx.port));
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  CHECK(contains(fx.refusals()[0].second.reason, "TLS handshake failed"));
  CHECK(fx.refusals()[0].first.tls);
  CHECK(fx.decided().empty());
}

TEST_CASE("wss: a plain websocket client cannot talk to the TLS listener", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  auto options = test_options();
  options.tls = server_context(pki);
  fx.start(options);
  RawClient client;
  REQUIRE(!client.connect(fx.port));
  REQUIRE(
      !client.write("GET /ws/CS001 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
  std::string answer;
  CHECK(client.read_to_end(answer));
  CHECK(answer.find("HTTP/1.1 101") == std::string::npos);
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  CHECK(contains(fx.refusals()[0].second.reason, "TLS handshake failed"));
  CHECK(fx.handler_count() == 0);
}

TEST_CASE("wss: a refusal is answered over TLS", "[ws][tls]") {
  const Pki pki;
  WsFixture fx;
  fx.decide = [](const UpgradeRequest&) { return UpgradeDecision{false, {}, 403, "wrong security profile"}; };
  auto options = test_options();
  options.tls = server_context(pki);
  fx.start(options);
  auto ctx = client_context(pki);
  TlsClient client(&ctx);
  websocket::response_type res;
  CHECK(client.connect(fx.port, {}, &res) == websocket::error::upgrade_declined);
  CHECK(res.result_int() == 403);
  CHECK(res.body() == "wrong security profile\n");
}

TEST_CASE("wss: a socket that sends no ClientHello is closed after first_bytes_timeout", "[ws][tls][admission]") {
  const Pki pki;
  WsFixture fx;
  auto options = test_options();
  options.tls = server_context(pki);
  options.first_bytes_timeout = std::chrono::seconds(1);
  options.handshake_timeout = std::chrono::seconds(8);
  fx.start(options);
  const auto start = std::chrono::steady_clock::now();
  RawClient silent;
  REQUIRE(!silent.connect(fx.port));
  std::string bytes;
  CHECK(silent.read_to_end(bytes));
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // well before handshake_timeout
  REQUIRE(eventually([&] { return fx.refusal_count() == 1; }));
  CHECK(fx.refusals()[0].second.http_status == 408);
  CHECK(fx.refusals()[0].first.tls);
  CHECK(fx.server->handshakes_in_progress() == 0);
  auto ctx = client_context(pki);
  TlsClient station(&ctx);  // a ClientHello within the deadline goes through
  CHECK(!station.connect(fx.port));
}

TEST_CASE("wss: one per-address counter shared by the ws and wss listeners bounds both together",
          "[ws][tls][admission]") {
  const Pki pki;
  auto counter = std::make_shared<evbroker::transport::HandshakesByAddress>();
  auto options = test_options();
  options.first_bytes_timeout = std::chrono::seconds(0);
  options.handshake_timeout = std::chrono::seconds(30);
  options.max_handshakes_per_address = 2;
  options.handshakes_by_address = counter;
  WsFixture ws;
  ws.start(options);
  WsFixture wss;
  options.tls = server_context(pki);
  wss.start(options);

  RawClient idle_ws;
  REQUIRE(!idle_ws.connect(ws.port));
  RawClient idle_wss;
  REQUIRE(!idle_wss.connect(wss.port));
  REQUIRE(eventually([&] { return counter->in_progress("127.0.0.1") == 2; }));
  RawClient third;
  REQUIRE(!third.connect(ws.port));
  std::string bytes;
  CHECK(third.read_to_end(bytes));
  REQUIRE(eventually([&] { return ws.refusal_count() == 1; }));
  CHECK(ws.refusals()[0].second.reason == "too many handshakes in progress from 127.0.0.1");

  auto ctx = client_context(pki);
  TlsClient other_address(&ctx);
  HandshakeOptions hs;
  hs.source_address = "127.0.0.3";
  CHECK(!other_address.connect(wss.port, hs));

  idle_wss.close();  // its slot frees a place on the ws listener too
  REQUIRE(eventually([&] { return counter->in_progress("127.0.0.1") == 1; }));
  WsClient station;
  CHECK(!station.connect(ws.port));
}
