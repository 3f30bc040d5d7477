#pragma once
// Private to protocol/transport: the two stream types a WsSession runs on (see ws_session.hpp).

#include <optional>
#include <string>
#include <utility>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>

#include "protocol/transport/upgrade_parse.hpp"

namespace evbroker::transport::detail {

/// ws:// — the websocket runs directly on TCP.
struct PlainTraits {
  using next_layer_type = boost::beast::tcp_stream;
  static constexpr bool tls = false;
};

/// wss:// — TLS on TCP; the listener only speaks TLS.
struct TlsTraits {
  using next_layer_type = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  static constexpr bool tls = true;

  template <class Handler>
  static void async_handshake(next_layer_type& stream, Handler&& handler) {
    stream.async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }

  template <class Handler>
  static void async_shutdown(next_layer_type& stream, Handler&& handler) {
    stream.async_shutdown(std::forward<Handler>(handler));
  }

  static std::optional<std::string> peer_cn(next_layer_type& stream) {
    return verified_peer_cn(stream.native_handle());
  }
};

}  // namespace evbroker::transport::detail
