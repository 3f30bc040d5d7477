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

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   const std::string& client_cert,
                                                                   const std::string& client_key) {
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
  return ctx;
}

}  // namespace evbroker::swarm
