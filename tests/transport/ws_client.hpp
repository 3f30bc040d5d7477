#pragma once
// Small clients for the tests (Beast, async operations driven by a Runner so that every step has
// a deadline): a websocket client, plain or TLS, and a raw TCP/HTTP client. Test-only code.
//
// Only declarations here: the member definitions (ws_client_impl.hpp) are compiled once, in
// ws_client_plain.cpp, ws_client_tls_connect.cpp and ws_client_tls_io.cpp, which instantiate
// them explicitly, and raw_client.cpp. The test files stay cheap to compile (Beast's TLS
// websocket client in one file took three minutes and 3 GB under the sanitizers).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "tests/transport/test_support.hpp"

namespace transport_test {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

struct HandshakeOptions {
  std::string target = "/ws/CS001";
  std::vector<std::string> subprotocol_headers = {"ocpp1.6"};  // one header each
  std::optional<std::string> authorization;                    // full header value
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::string source_address;  // bind the client socket to it before connecting ("" = any)
};

/// NextLayer: beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class NextLayer>
class BasicWsClient {
 public:
  static constexpr bool tls = !std::is_same_v<NextLayer, beast::tcp_stream>;

  /// `ctx` is required for TLS and ignored otherwise.
  explicit BasicWsClient(net::ssl::context* ctx = nullptr);
  ~BasicWsClient();
  BasicWsClient(const BasicWsClient&) = delete;
  BasicWsClient& operator=(const BasicWsClient&) = delete;

  /// TCP connect (+ TLS handshake) + websocket handshake. `response` receives the server's answer
  /// (also when the upgrade is declined).
  beast::error_code connect(std::uint16_t port, const HandshakeOptions& options = {},
                            websocket::response_type* response = nullptr);
  beast::error_code write(const std::string& text, bool binary = false);
  /// Reads one message; an error when the connection closed (see close_reason()).
  beast::error_code read(std::string& out, std::chrono::steady_clock::duration within = kDeadline);
  /// Reads until the connection closes; the error that ended it.
  beast::error_code read_until_closed();
  beast::error_code close(std::uint16_t code = 1000, const std::string& reason = "");
  /// Runs the client for `within` with a read pending (so Beast answers pings) without closing
  /// on timeout; true when a message or close arrived meanwhile. The read stays pending.
  bool pump_for(std::chrono::steady_clock::duration within);
  /// Drops the TCP connection without a close frame.
  void drop();
  const websocket::close_reason& close_reason() const;

 private:
  Runner runner_;
  websocket::stream<NextLayer> ws_;
  beast::flat_buffer pump_buffer_;
  bool pumping_ = false;
  std::optional<beast::error_code> pump_result_;
};

using WsClient = BasicWsClient<beast::tcp_stream>;

/// A raw TCP connection for the tests that speak no websocket (plain HTTP, silent sockets).
class RawClient {
 public:
  RawClient();
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// `source_address`: bound before connecting (any 127/8 address works on loopback).
  beast::error_code connect(std::uint16_t port, const std::string& source_address = "");
  beast::error_code write(const std::string& bytes);
  /// Sends `bytes` one byte per `interval` while watching for the server to close the
  /// connection; returns how many bytes went out before it did (all of them: it did not).
  std::size_t trickle(const std::string& bytes, std::chrono::milliseconds interval);
  beast::error_code write_request(http::request<http::string_body>& req);
  beast::error_code read_response(http::response<http::string_body>& res);
  /// Reads raw bytes until EOF or error; the error (eof when the server closed cleanly).
  beast::error_code read_to_end(std::string& out);
  void close();

 private:
  Runner runner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace transport_test
