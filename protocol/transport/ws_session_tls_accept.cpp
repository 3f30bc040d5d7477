// WsSession over TLS (wss://): the websocket accept (101 response, timeouts, open).
// Apart from the rest of the handshake: it is the heaviest part of the session to compile.
#include "protocol/transport/ws_session_traits.hpp"
#include "protocol/transport/ws_session_accept.ipp"

namespace evbroker::transport::detail {

template void WsSession<TlsTraits>::accept(std::string);
template void WsSession<TlsTraits>::on_accept(beast::error_code);

}  // namespace evbroker::transport::detail
