// WsSession over plain TCP (ws://): the open websocket (reads, writes, close).
// The session's members are spread over several translation units to bound compile time and
// memory (Beast); each explicitly instantiates the members it defines (see ws_session.hpp).
#include "protocol/transport/ws_session_traits.hpp"
#include "protocol/transport/ws_session_io.ipp"

namespace evbroker::transport::detail {

template void WsSession<PlainTraits>::do_read();
template void WsSession<PlainTraits>::write_next();
template void WsSession<PlainTraits>::start_close_handshake();
template void WsSession<PlainTraits>::on_read(beast::error_code, std::size_t);
template std::string WsSession<PlainTraits>::read_error_reason(beast::error_code) const;
template void WsSession<PlainTraits>::enqueue(std::string);
template void WsSession<PlainTraits>::on_write(beast::error_code, std::size_t);
template void WsSession<PlainTraits>::request_close(std::uint16_t, std::string);
template void WsSession<PlainTraits>::abort(std::string);
template void WsSession<PlainTraits>::finish(std::string);

}  // namespace evbroker::transport::detail
