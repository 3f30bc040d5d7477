// WsSession over plain TCP (ws://): from accepted socket to open websocket (handshake + accept).
// The session's members are spread over several translation units to bound compile time and
// memory (Beast); each explicitly instantiates the members it defines (see ws_session.hpp).
#include "protocol/transport/ws_session_traits.hpp"
#include "protocol/transport/ws_session_accept.ipp"
#include "protocol/transport/ws_session_handshake.ipp"

namespace evbroker::transport::detail {

template void WsSession<PlainTraits>::begin();
template void WsSession<PlainTraits>::on_first_bytes(beast::error_code);
template void WsSession<PlainTraits>::on_first_bytes_deadline(beast::error_code);
template void WsSession<PlainTraits>::start_handshake();
template void WsSession<PlainTraits>::on_tls_handshake(beast::error_code);
template void WsSession<PlainTraits>::read_request();
template void WsSession<PlainTraits>::describe_request();
template void WsSession<PlainTraits>::close_after_refusal();
template void WsSession<PlainTraits>::fail_quietly();
template void WsSession<PlainTraits>::on_request(beast::error_code, std::size_t);
template void WsSession<PlainTraits>::refuse(UpgradeDecision);
template void WsSession<PlainTraits>::fail_handshake(int, std::string);
template void WsSession<PlainTraits>::report_refused(const UpgradeDecision&);
template void WsSession<PlainTraits>::accept(std::string);
template void WsSession<PlainTraits>::on_accept(beast::error_code);

void start_plain_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                         boost::asio::ip::tcp::socket socket, std::string remote_address, Admission admission) {
  auto session = std::make_shared<WsSession<PlainTraits>>(
      std::move(config), std::move(state), std::move(remote_address), std::move(admission), std::move(socket));
  session->start();
}

}  // namespace evbroker::transport::detail
