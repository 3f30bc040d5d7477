// TLS session tickets that survive a restart (apps/evbroker/tls_tickets.hpp): the key file's
// rotation and lifetime, and real handshakes over memory BIOs between a client and two server
// contexts made from the same file, as before and after a restart of the node.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "apps/evbroker/tls_tickets.hpp"

namespace fs = std::filesystem;
using evbroker::app::TicketKey;
using evbroker::app::TicketKeys;
using evbroker::app::use_ticket_keys;

namespace {

constexpr std::int64_t kDay = 24 * 3600;
constexpr std::int64_t kT0 = 1'764'000'000;  // 2025-11-24

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/evb-tickets-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file() const { return path + "/tls-ticket-keys"; }
  std::string path;
};

std::shared_ptr<TicketKeys> open_keys(const std::string& path, std::int64_t now) {
  std::string error;
  auto keys = TicketKeys::open(path, {}, now, error);
  INFO(error);
  REQUIRE(keys);
  return keys;
}

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Session = std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)>;

/// A self-signed P-256 server certificate, made once.
struct ServerIdentity {
  ServerIdentity() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    auto* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("node"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
  }
  ~ServerIdentity() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

const ServerIdentity& identity() {
  static const ServerIdentity id;
  return id;
}

/// A server context as the node makes it: its certificate, client certificates asked for (which is
/// what makes a session id context necessary), and the tickets of `keys`.
Ctx server_context(std::shared_ptr<TicketKeys> keys, const std::string& trust = "station trust") {
  Ctx ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  REQUIRE(SSL_CTX_use_certificate(ctx.get(), identity().cert) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), identity().key) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  std::string error;
  REQUIRE(use_ticket_keys(ctx.get(), std::move(keys), std::chrono::hours(7 * 24), "server chain" + trust, error));
  return ctx;
}

Ctx client_context() {
  Ctx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

struct Handshake {
  bool completed = false;
  bool resumed = false;
  Session session{nullptr, SSL_SESSION_free};  // what the client keeps for next time
};

/// One full exchange over a BIO pair: handshake, then the client reads once so that a TLS 1.3
/// ticket sent after the handshake reaches it.
Handshake handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx, SSL_SESSION* resume) {
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(server_ctx);
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  REQUIRE(BIO_new_bio_pair(&client_end, 0, &server_end, 0) == 1);
  SSL_set_bio(client, client_end, client_end);
  SSL_set_bio(server, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  if (resume != nullptr) REQUIRE(SSL_set_session(client, resume) == 1);

  Handshake out;
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    if (!client_done) client_done = SSL_do_handshake(client) == 1;
    if (!server_done) server_done = SSL_do_handshake(server) == 1;
  }
  out.completed = client_done && server_done;
  if (out.completed) {
    out.resumed = SSL_session_reused(server) == 1;
    char byte = 0;
    const int read = SSL_read(client, &byte, 1);  // processes NewSessionTicket, then wants more
    CHECK(read <= 0);
    CHECK(SSL_get_error(client, read) == SSL_ERROR_WANT_READ);
    // A copy, as cs_swarm keeps: freeing a connection without a close_notify (a server killed
    // under it) marks its own session not resumable.
    SSL_SESSION* session = SSL_get0_session(client);
    if (session != nullptr) out.session.reset(SSL_SESSION_dup(session));
  }
  SSL_free(client);
  SSL_free(server);
  return out;
}

}  // namespace

TEST_CASE("a session resumes against a new server context made from the same key file, as after a restart",
          "[tls_tickets]") {
  TempDir dir;
  auto client = client_context();
  Session session{nullptr, SSL_SESSION_free};
  {
    auto before = server_context(open_keys(dir.file(), kT0));
    auto first = handshake(before.get(), client.get(), nullptr);
    REQUIRE(first.completed);
    CHECK_FALSE(first.resumed);
    REQUIRE(first.session);
    REQUIRE(SSL_SESSION_is_resumable(first.session.get()) == 1);
    session = std::move(first.session);
  }
  auto after = server_context(open_keys(dir.file(), kT0 + 60));
  auto again = handshake(after.get(), client.get(), session.get());
  REQUIRE(again.completed);
  CHECK(again.resumed);
}

TEST_CASE("a ticket is not accepted once its keys are gone or the certificate or trust changed: a full handshake",
          "[tls_tickets]") {
  TempDir dir;
  auto client = client_context();
  auto first = handshake(server_context(open_keys(dir.file(), kT0)).get(), client.get(), nullptr);
  REQUIRE(first.session);

  SECTION("another trust") {
    auto other = server_context(open_keys(dir.file(), kT0), "another station trust");
    auto again = handshake(other.get(), client.get(), first.session.get());
    REQUIRE(again.completed);
    CHECK_FALSE(again.resumed);
  }
  SECTION("the key file deleted (every ticket revoked)") {
    fs::remove(dir.file());
    auto fresh = server_context(open_keys(dir.file(), kT0));
    auto again = handshake(fresh.get(), client.get(), first.session.get());
    REQUIRE(again.completed);
    CHECK_FALSE(again.resumed);
  }
}

TEST_CASE("the key file is private to the node and holds one new key", "[tls_tickets]") {
  TempDir dir;
  auto keys = open_keys(dir.file(), kT0);
  CHECK(keys->size() == 1);
  struct stat st {};
  REQUIRE(::stat(dir.file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Opened again, the same key: tickets issued before stay valid.
  auto reopened = open_keys(dir.file(), kT0 + 3600);
  CHECK(reopened->size() == 1);
  CHECK(reopened->encryption_key(kT0 + 3600).name == keys->encryption_key(kT0 + 3600).name);
}

TEST_CASE("a key encrypts for a day, then decrypts for the lifetime after it stopped encrypting", "[tls_tickets]") {
  TempDir dir;
  auto keys = open_keys(dir.file(), kT0);
  const auto first = keys->encryption_key(kT0);
  TicketKey found;
  bool current = false;

  const auto second = keys->encryption_key(kT0 + kDay);  // rotation due: a new key, stored
  CHECK(second.name != first.name);
  CHECK(keys->size() == 2);
  REQUIRE(keys->find(first.name.data(), kT0 + kDay, found, current));
  CHECK_FALSE(current);  // still good, but OpenSSL is told to renew the ticket
  REQUIRE(keys->find(second.name.data(), kT0 + kDay, found, current));
  CHECK(current);

  // The first key stopped encrypting at kT0 + 1 day; it decrypts until 7 days after that.
  CHECK(keys->find(first.name.data(), kT0 + 8 * kDay - 1, found, current));
  CHECK_FALSE(keys->find(first.name.data(), kT0 + 8 * kDay, found, current));

  // What rotated is on disk: a restart knows both keys.
  auto reopened = open_keys(dir.file(), kT0 + kDay + 1);
  CHECK(reopened->size() == 2);
  CHECK(reopened->find(first.name.data(), kT0 + kDay + 1, found, current));

  // A restart long after: the old keys are dropped, a new one encrypts.
  auto much_later = open_keys(dir.file(), kT0 + 30 * kDay);
  CHECK(much_later->size() == 1);
  CHECK_FALSE(much_later->find(second.name.data(), kT0 + 30 * kDay, found, current));
}

TEST_CASE("a key file that cannot be read is refused with the line that is wrong", "[tls_tickets]") {
  TempDir dir;
  std::ofstream(dir.file()) << "# comment\n1764000000 00ff 11 22\n";
  std::string error;
  CHECK_FALSE(TicketKeys::open(dir.file(), {}, kT0, error));
  CHECK(error == dir.file() + ": line 2 is not \"<created> <name> <hmac key> <aes key>\" in hex");
}
