// The TLS websocket test client: messages and close on an open connection.
// Split from construction and connect to bound compile time and memory (see ws_client.hpp).
#include <boost/beast/ssl.hpp>

#include "tests/transport/ws_client_impl.hpp"

namespace transport_test {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template beast::error_code BasicWsClient<TlsStream>::write(const std::string&, bool);
template beast::error_code BasicWsClient<TlsStream>::read(std::string&, std::chrono::steady_clock::duration);
template beast::error_code BasicWsClient<TlsStream>::read_until_closed();
template beast::error_code BasicWsClient<TlsStream>::close(std::uint16_t, const std::string&);
template bool BasicWsClient<TlsStream>::pump_for(std::chrono::steady_clock::duration);
template void BasicWsClient<TlsStream>::drop();
template const websocket::close_reason& BasicWsClient<TlsStream>::close_reason() const;

}  // namespace transport_test
