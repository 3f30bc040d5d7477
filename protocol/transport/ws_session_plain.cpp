// The websocket session over plain TCP (ws://). See ws_session.hpp.
#include "protocol/transport/ws_session.hpp"

namespace evbroker::transport::detail {

namespace {

struct PlainTraits {
  using next_layer_type = beast::tcp_stream;
  static constexpr bool tls = false;
};

}  // namespace

void start_plain_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                         boost::asio::ip::tcp::socket socket, std::string remote_address) {
  auto session = std::make_shared<WsSession<PlainTraits>>(std::move(config), std::move(state),
                                                          std::move(remote_address), std::move(socket));
  session->start();
}

}  // namespace evbroker::transport::detail
