#pragma once
// Private to protocol/transport: one client connection of the HttpClient (plain or TLS). The
// stream code is a template in http_client_connection.ipp, instantiated once per stream type in
// http_client.cpp (plain) and http_client_tls.cpp (TLS): Beast's HTTP read/write templates are
// the expensive part to compile, so each stream type is compiled in its own translation unit.
//
// Threads: every member runs on the connection's strand (the caller posts there).

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include "protocol/transport/http_client.hpp"
#include "protocol/transport/http_client_url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace evbroker::transport::detail {

using ClientStrand = boost::asio::strand<boost::asio::io_context::executor_type>;

/// How one request/response exchange on a connection ended.
struct ExchangeOutcome {
  boost::system::error_code ec;
  bool during_write = false;        // the request was not completely sent
  bool got_response_bytes = false;  // some of a response arrived (so the peer saw the request)
  bool too_large = false;           // the body exceeded the limit
  bool keep_alive = false;          // the connection may carry another request
  HttpClientResponse response;
};

class ClientConnection {
 public:
  enum class Stage { tcp, tls };
  using ConnectHandler = std::function<void(boost::system::error_code, Stage, std::string detail)>;
  using ExchangeHandler = std::function<void(ExchangeOutcome)>;

  explicit ClientConnection(ClientStrand strand) : strand_(std::move(strand)), idle_timer_(strand_) {}
  virtual ~ClientConnection() = default;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  /// TCP connect to the first endpoint that answers, then (TLS) SNI, peer verification, handshake.
  virtual void async_connect(const boost::asio::ip::tcp::resolver::results_type& endpoints, const ClientUrl& url,
                             ConnectHandler done) = 0;
  /// Writes the request and reads one response of at most `max_body` bytes.
  virtual void async_exchange(const HttpClientRequest& request, const ClientUrl& url, std::size_t max_body,
                              ExchangeHandler done) = 0;
  /// Closes the socket; pending operations complete with operation_aborted.
  virtual void close() = 0;

  const ClientStrand& strand() const { return strand_; }
  /// Runs while the connection waits in the pool (closes it after the idle timeout).
  boost::asio::steady_timer& idle_timer() { return idle_timer_; }

 private:
  ClientStrand strand_;
  boost::asio::steady_timer idle_timer_;
};

std::shared_ptr<ClientConnection> make_plain_connection(ClientStrand strand);
/// The context carries the verify mode and trusted CAs; the connection adds SNI and the host check.
std::shared_ptr<ClientConnection> make_tls_connection(ClientStrand strand,
                                                      std::shared_ptr<boost::asio::ssl::context> context);

}  // namespace evbroker::transport::detail
