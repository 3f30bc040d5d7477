#include "apps/evbroker/tls_context.hpp"

#include <chrono>
#include <optional>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "apps/evbroker/logging.hpp"
#include "apps/evbroker/pki_setup.hpp"
#include "apps/evbroker/tls_tickets.hpp"

namespace evbroker::app {

namespace asio = boost::asio;

namespace {

/// TLS 1.2 cipher suites of OCPP 2.0.1 A00.FR.318 (server side) and A00.FR.421 (with client
/// certificates), and nothing else: the ECDHE ones first, so a station offering both kinds gets
/// forward secrecy. TLS 1.3 keeps OpenSSL's default suites.
constexpr const char* tls12_cipher_suites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384";

/// One server certificate chain and its key, as files, with how the operator named them.
struct ServerCredentialFiles {
  std::string chain_file;
  std::string key_file;
  std::string chain_source;  // "--tls-cert " or "local PKI server certificate "
  std::string key_source;
};

/// One server certificate read and checked: the leaf, the certificates sent after it, the key.
struct ServerCredential {
  ServerCredentialFiles files;
  std::vector<pki::Certificate> chain;  // leaf first
  pki::PrivateKey key;
  std::string chain_text;  // as read, for the session id context
};

/// --tls-cert/--tls-key pairs when given, else the local PKI's ECDSA and RSA server certificates.
std::vector<ServerCredentialFiles> server_credential_files(const NodeConfig& config, const pki::LocalPki& local_pki) {
  std::vector<ServerCredentialFiles> files;
  if (config.tls_certs.empty()) {
    const std::string chain_source = "local PKI server certificate ";
    const std::string key_source = "local PKI server key ";
    files.push_back({local_pki.server_chain_path(), local_pki.server_key_path(), chain_source, key_source});
    files.push_back({local_pki.rsa_server_chain_path(), local_pki.rsa_server_key_path(), chain_source, key_source});
    return files;
  }
  // config.cpp's check_tls made sure there is a key for every certificate.
  for (std::size_t i = 0; i < config.tls_certs.size() && i < config.tls_keys.size(); ++i)
    files.push_back({config.tls_certs[i], config.tls_keys[i], "--tls-cert ", "--tls-key "});
  return files;
}

std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reason += (reason.empty() ? "" : "; ") + std::string(text);
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

pki::Result<ServerCredential> read_server_credential(const ServerCredentialFiles& files) {
  const std::string chain_name = files.chain_source + files.chain_file;
  const std::string key_name = files.key_source + files.key_file;
  auto chain_text = read_text_file(files.chain_file);
  if (!chain_text) return Unexpected(files.chain_source + chain_text.error());
  auto chain = pki::parse_pem_chain(*chain_text);
  if (!chain) return Unexpected(chain_name + ": " + chain.error());
  auto key_text = read_text_file(files.key_file);
  if (!key_text) return Unexpected(files.key_source + key_text.error());
  auto key = pki::PrivateKey::from_pem(*key_text);
  if (!key) return Unexpected(key_name + ": " + key.error());
  if (chain->front().public_key_der() != key->public_key_der())
    return Unexpected(key_name + " does not hold the private key of the certificate in " + chain_name +
                      " (the n-th --tls-key goes with the n-th --tls-cert)");
  return ServerCredential{files, std::move(*chain), std::move(*key), std::move(*chain_text)};
}

/// OpenSSL keeps one certificate per key type and picks the one the station's offer can use: a
/// second certificate of a type would silently replace the first.
std::optional<std::string> same_key_type_twice(const std::vector<ServerCredential>& credentials) {
  for (std::size_t i = 0; i < credentials.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto type = credentials[i].chain.front().key_type();
      if (type != credentials[j].chain.front().key_type()) continue;
      return credentials[j].files.chain_source + credentials[j].files.chain_file + " and " +
             credentials[i].files.chain_source + credentials[i].files.chain_file + " both hold an " +
             std::string(pki::key_type_name(type)) +
             " key: give at most one certificate per key type (an RSA one and an ECDSA one)";
    }
  }
  return std::nullopt;
}

/// Puts the certificate, its own chain and its key in the slot of its key type.
std::optional<std::string> install(SSL_CTX* ctx, const ServerCredential& credential) {
  STACK_OF(X509)* intermediates = sk_X509_new_null();
  if (intermediates == nullptr) return "out of memory";
  for (std::size_t i = 1; i < credential.chain.size(); ++i) sk_X509_push(intermediates, credential.chain[i].get());
  // The context takes its own references to the chain; the stack itself stays ours.
  const bool used =
      SSL_CTX_use_cert_and_key(ctx, credential.chain.front().get(), credential.key.get(), intermediates, 1) == 1;
  sk_X509_free(intermediates);
  if (used) return std::nullopt;
  return credential.files.chain_source + credential.files.chain_file + ": " + openssl_reason();
}

bool offers(const std::vector<ServerCredential>& credentials, pki::KeyType type) {
  for (const auto& credential : credentials)
    if (credential.chain.front().key_type() == type) return true;
  return false;
}

/// Which required TLS 1.2 suites the certificates cannot serve (stations offering only those fail
/// the handshake), said once at start.
void log_missing_key_types(const std::vector<ServerCredential>& credentials) {
  const auto log = logger("node");
  if (!offers(credentials, pki::KeyType::ec))
    log->warn(
        "wss has no ECDSA server certificate: TLS 1.2 stations offering only TLS_ECDHE_ECDSA_WITH_AES_*_GCM "
        "(OCPP 2.0.1 A00.FR.318) cannot connect; give a second --tls-cert/--tls-key pair with an ECDSA key");
  if (!offers(credentials, pki::KeyType::rsa))
    log->warn(
        "wss has no RSA server certificate: TLS 1.2 stations offering only TLS_RSA_WITH_AES_*_GCM "
        "(OCPP 2.0.1 A00.FR.318) cannot connect; give a second --tls-cert/--tls-key pair with an RSA key");
}

/// Reads, checks and installs every server certificate; returns their chain texts (for the session
/// id context), or nothing with `error` set.
std::optional<std::string> use_server_credentials(SSL_CTX* ctx, const NodeConfig& config,
                                                  const pki::LocalPki& local_pki, std::string& error) {
  std::vector<ServerCredential> credentials;
  for (const auto& files : server_credential_files(config, local_pki)) {
    auto credential = read_server_credential(files);
    if (!credential) {
      error = credential.error();
      return std::nullopt;
    }
    credentials.push_back(std::move(*credential));
  }
  if (auto twice = same_key_type_twice(credentials)) {
    error = *twice;
    return std::nullopt;
  }
  std::string chain_texts;
  for (const auto& credential : credentials) {
    if (auto failed = install(ctx, credential)) {
      error = *failed;
      return std::nullopt;
    }
    chain_texts += credential.chain_text;
  }
  log_missing_key_types(credentials);
  return chain_texts;
}

}  // namespace

std::string ticket_keys_path(const NodeConfig& config) { return pki_directory(config) + "/tls-ticket-keys"; }

std::shared_ptr<asio::ssl::context> make_tls_context(const NodeConfig& config, const pki::LocalPki& local_pki,
                                                     std::string& error) {
  const bool own_trust = !config.tls_client_ca.empty();
  const std::string trust_file = own_trust ? config.tls_client_ca : local_pki.station_trust_path();
  const std::string trust_source = own_trust ? "--tls-client-ca " : "local PKI station trust ";

  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = tls->native_handle();
  boost::system::error_code ec;
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  if (ec) {
    error = "TLS options: " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_set_cipher_list(ctx, tls12_cipher_suites) != 1) {
    error = std::string("TLS 1.2 cipher suites ") + tls12_cipher_suites + ": " + openssl_reason();
    return nullptr;
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  const auto chains = use_server_credentials(ctx, config, local_pki, error);
  if (!chains) return nullptr;
  tls->load_verify_file(trust_file, ec);
  if (ec) {
    error = trust_source + trust_file + ": " + ec.message();
    return nullptr;
  }
  // The default trust is the CPO sub-CA, not a root: let a path end at any certificate of the store.
  X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx), X509_V_FLAG_PARTIAL_CHAIN);
  tls->set_verify_mode(asio::ssl::verify_peer, ec);
  // A client certificate that does not verify must not fail the handshake: the gate then refuses
  // the upgrade with a clear HTTP status (and reason) instead of an opaque TLS alert.
  tls->set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ec);

  // Session resumption across restarts (tls_tickets.hpp), tied to these certificates and trust.
  const TicketKeys::Options ticket_options;
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto keys = TicketKeys::open(ticket_keys_path(config), ticket_options, now_s, error);
  if (!keys) return nullptr;
  auto trust = read_text_file(trust_file);
  if (!trust) {
    error = trust.error();
    return nullptr;
  }
  if (!use_ticket_keys(ctx, std::move(keys), ticket_options.lifetime, *chains + *trust, error)) return nullptr;
  return tls;
}

}  // namespace evbroker::app
