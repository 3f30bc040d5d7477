// WsSession over TLS (wss://): from accepted socket to the decision (TLS handshake, upgrade
// request, refusal). The websocket accept is in ws_session_tls_accept.cpp.
// The session's members are spread over several translation units to bound compile time and
// memory (Beast); each explicitly instantiates the members it defines (see ws_session.hpp).
#include "protocol/transport/ws_session_traits.hpp"
#include "protocol/transport/ws_session_handshake.ipp"

namespace evbroker::transport::detail {

template void WsSession<TlsTraits>::begin();
template void WsSession<TlsTraits>::on_first_bytes(beast::error_code);
template void WsSession<TlsTraits>::on_first_bytes_deadline(beast::error_code);
template void WsSession<TlsTraits>::start_handshake();
template void WsSession<TlsTraits>::on_tls_handshake(beast::error_code);
template void WsSession<TlsTraits>::read_request();
template void WsSession<TlsTraits>::describe_request();
template void WsSession<TlsTraits>::close_after_refusal();
template void WsSession<TlsTraits>::fail_quietly();
template void WsSession<TlsTraits>::on_request(beast::error_code, std::size_t);
template void WsSession<TlsTraits>::refuse(UpgradeDecision);
template void WsSession<TlsTraits>::fail_handshake(int, std::string);
template void WsSession<TlsTraits>::report_refused(const UpgradeDecision&);

void start_tls_session(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state,
                       boost::asio::ip::tcp::socket socket, std::string remote_address, Admission admission) {
  auto& context = *config->options.tls;  // the listener checked it is set; the session keeps config
  auto session = std::make_shared<WsSession<TlsTraits>>(std::move(config), std::move(state), std::move(remote_address),
                                                        std::move(admission), std::move(socket), context);
  session->start();
}

}  // namespace evbroker::transport::detail
