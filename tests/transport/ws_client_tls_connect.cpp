// The TLS websocket test client: construction and connect (TCP, TLS and websocket handshakes).
// Split from its other members to bound compile time and memory (see ws_client.hpp).
#include <boost/beast/ssl.hpp>

#include "tests/transport/ws_client_impl.hpp"

namespace transport_test {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template BasicWsClient<TlsStream>::BasicWsClient(net::ssl::context*);
template BasicWsClient<TlsStream>::~BasicWsClient();
template beast::error_code BasicWsClient<TlsStream>::connect(std::uint16_t, const HandshakeOptions&,
                                                             websocket::response_type*);

}  // namespace transport_test
