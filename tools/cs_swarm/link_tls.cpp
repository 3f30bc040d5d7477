// TLS websocket (wss://) links and the client TLS context.

#include <stdexcept>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "tools/cs_swarm/link_impl.hpp"

namespace evbroker::swarm {

std::shared_ptr<Link> make_tls_link(boost::asio::io_context& io, boost::asio::ssl::context& tls, LinkEvents& events) {
  return std::make_shared<detail::WsLink<boost::beast::ssl_stream<boost::beast::tcp_stream>>>(events, io, tls);
}

namespace {

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   const std::string& client_cert,
                                                                   const std::string& client_key, bool resume) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("--ca " + ca_file + ": " + ec.message());
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);  // a load test against a self-signed server
  }
  if (!client_cert.empty()) {
    ctx->use_certificate_chain_file(client_cert, ec);
    if (ec) throw std::runtime_error("--client-cert " + client_cert + ": " + ec.message());
    ctx->use_private_key_file(client_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("--client-key " + client_key + ": " + ec.message());
  }
  if (resume) {
    // TLS 1.3 tickets arrive after the handshake: the callback files each in its link's slot. A
    // copy, because OpenSSL marks the connection's own session not resumable when the connection
    // ends without a close_notify, which is how a storm ends them (the server was killed).
    SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx->native_handle(), [](SSL* ssl, SSL_SESSION* session) {
      if (auto* slot = static_cast<TlsSessionSlot*>(SSL_get_ex_data(ssl, slot_index())))
        slot->keep(SSL_SESSION_dup(session));
      return 0;  // OpenSSL keeps its own reference to `session`
    });
  }
  return ctx;
}

void attach_session_slot(SSL* ssl, TlsSessionSlot* slot) { SSL_set_ex_data(ssl, slot_index(), slot); }

TlsSessionSlot::~TlsSessionSlot() { SSL_SESSION_free(session_); }

void TlsSessionSlot::keep(SSL_SESSION* session) {
  SSL_SESSION_free(session_);
  session_ = session;
}

}  // namespace evbroker::swarm
