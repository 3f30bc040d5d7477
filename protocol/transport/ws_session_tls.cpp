// The websocket session over TLS (wss://). See ws_session.hpp.
#include <boost/beast/ssl.hpp>

#include "protocol/transport/ws_session.hpp"

namespace evbroker::transport::detail {

namespace {

struct TlsTraits {
  using next_layer_type = beast::ssl_stream<beast::tcp_stream>;
  static constexpr bool tls = true;

  template <class Handler>
  static void async_handshake(next_layer_type& stream, Handler&& handler) {
    stream.async_handshake(net::ssl::stream_base::server, std::forward<Handler>(handler));
  }

  template <class Handler>
  static void async_shutdown(next_layer_type& stream, Handler&& handler) {
    stream.async_shutdown(std::forward<Handler>(handler));
  }

  static std::optional<std::string> peer_cn(next_layer_type& stream) {
    return verified_peer_cn(stream.native_handle());
  }
};

}  // namespace

void start_tls_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                       boost::asio::ip::tcp::socket socket, std::string remote_address) {
  auto& context = *config->options.tls;  // the listener checked it is set
  auto session = std::make_shared<WsSession<TlsTraits>>(std::move(config), std::move(state),
                                                        std::move(remote_address), std::move(socket), context);
  session->start();
}

}  // namespace evbroker::transport::detail
