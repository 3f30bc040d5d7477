#include "apps/evbroker/tls_context.hpp"

#include <chrono>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "apps/evbroker/pki_setup.hpp"
#include "apps/evbroker/tls_tickets.hpp"

namespace evbroker::app {

namespace asio = boost::asio;

std::string ticket_keys_path(const NodeConfig& config) { return pki_directory(config) + "/tls-ticket-keys"; }

std::shared_ptr<asio::ssl::context> make_tls_context(const NodeConfig& config, const pki::LocalPki& local_pki,
                                                     std::string& error) {
  const bool own_certificate = !config.tls_cert.empty();
  const std::string chain_file = own_certificate ? config.tls_cert : local_pki.server_chain_path();
  const std::string key_file = own_certificate ? config.tls_key : local_pki.server_key_path();
  const std::string chain_source = own_certificate ? "--tls-cert " : "local PKI server certificate ";
  const std::string key_source = own_certificate ? "--tls-key " : "local PKI server key ";
  const bool own_trust = !config.tls_client_ca.empty();
  const std::string trust_file = own_trust ? config.tls_client_ca : local_pki.station_trust_path();
  const std::string trust_source = own_trust ? "--tls-client-ca " : "local PKI station trust ";

  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) tls->use_certificate_chain_file(chain_file, ec);
  if (ec) {
    error = chain_source + chain_file + ": " + ec.message();
    return nullptr;
  }
  tls->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = key_source + key_file + ": " + ec.message();
    return nullptr;
  }
  tls->load_verify_file(trust_file, ec);
  if (ec) {
    error = trust_source + trust_file + ": " + ec.message();
    return nullptr;
  }
  // The default trust is the CPO sub-CA, not a root: let a path end at any certificate of the store.
  X509_STORE_set_flags(SSL_CTX_get_cert_store(tls->native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  tls->set_verify_mode(asio::ssl::verify_peer, ec);
  // A client certificate that does not verify must not fail the handshake: the gate then refuses
  // the upgrade with a clear HTTP status (and reason) instead of an opaque TLS alert.
  tls->set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ec);

  // Session resumption across restarts (tls_tickets.hpp), tied to this certificate and trust.
  const TicketKeys::Options ticket_options;
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto keys = TicketKeys::open(ticket_keys_path(config), ticket_options, now_s, error);
  if (!keys) return nullptr;
  auto chain = read_text_file(chain_file);
  if (!chain) {
    error = chain.error();
    return nullptr;
  }
  auto trust = read_text_file(trust_file);
  if (!trust) {
    error = trust.error();
    return nullptr;
  }
  if (!use_ticket_keys(tls->native_handle(), std::move(keys), ticket_options.lifetime, *chain + *trust, error))
    return nullptr;
  return tls;
}

}  // namespace evbroker::app
