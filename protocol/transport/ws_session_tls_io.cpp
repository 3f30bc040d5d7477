// WsSession over TLS (wss://): the open websocket (reads, writes, close).
// The session's members are spread over several translation units to bound compile time and
// memory (Beast); each explicitly instantiates the members it defines (see ws_session.hpp).
#include "protocol/transport/ws_session_traits.hpp"
#include "protocol/transport/ws_session_io.ipp"

namespace evbroker::transport::detail {

template void WsSession<TlsTraits>::do_read();
template void WsSession<TlsTraits>::write_next();
template void WsSession<TlsTraits>::start_close_handshake();
template void WsSession<TlsTraits>::on_read(beast::error_code, std::size_t);
template std::string WsSession<TlsTraits>::read_error_reason(beast::error_code) const;
template void WsSession<TlsTraits>::enqueue(std::string);
template void WsSession<TlsTraits>::on_write(beast::error_code, std::size_t);
template void WsSession<TlsTraits>::request_close(std::uint16_t, std::string);
template void WsSession<TlsTraits>::abort(std::string);
template void WsSession<TlsTraits>::finish(std::string);

}  // namespace evbroker::transport::detail
