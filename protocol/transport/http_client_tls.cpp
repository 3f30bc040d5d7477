// The HttpClient's TLS connections: SNI, peer verification against the client's ssl::context
// (ca_file or the system store) and the host name check, then the handshake. Kept apart from
// http_client.cpp so the TLS instantiation of Beast's HTTP templates compiles in parallel.
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocol/transport/http_client_connection.ipp"

namespace evbroker::transport::detail {

namespace {

namespace ssl = boost::asio::ssl;

struct TlsTraits {
  using stream_type = beast::ssl_stream<beast::tcp_stream>;

  static void after_tcp_connect(stream_type& stream, const ClientUrl& url,
                                std::function<void(boost::system::error_code, std::string)> done) {
    boost::system::error_code ec;
    // SNI carries host names only (RFC 6066): an IP literal is not sent.
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address(url.host, not_an_address);
    if (not_an_address && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                   const_cast<char*>(url.host.c_str())) != 1) {  // NOLINT: OpenSSL's API takes void*
      done(boost::system::error_code(static_cast<int>(::ERR_get_error()), boost::asio::error::get_ssl_category()),
           "setting SNI failed");
      return;
    }
    // The verify mode itself comes from the context (verify_peer unless the options turned it off);
    // the host name check is per connection.
    stream.set_verify_callback(ssl::host_name_verification(url.host), ec);
    if (ec) {
      done(ec, "setting the host name check failed");
      return;
    }
    stream.async_handshake(ssl::stream_base::client,
                           [&stream, done = std::move(done)](boost::system::error_code hs_ec) {
                             std::string detail;
                             if (hs_ec) {
                               const long verify = SSL_get_verify_result(stream.native_handle());
                               if (verify != X509_V_OK) detail = X509_verify_cert_error_string(verify);
                             }
                             done(hs_ec, std::move(detail));
                           });
  }
};

}  // namespace

std::shared_ptr<ClientConnection> make_tls_connection(ClientStrand strand, std::shared_ptr<ssl::context> context) {
  auto connection = std::make_shared<StreamConnection<TlsTraits>>(strand, *context);
  connection->keep_alive_with(std::move(context));  // every SSL object dies before its context
  return connection;
}

}  // namespace evbroker::transport::detail
