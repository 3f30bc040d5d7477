// The plain websocket test client, compiled once (see ws_client.hpp).
#include "tests/transport/ws_client_impl.hpp"

namespace transport_test {

template class BasicWsClient<beast::tcp_stream>;

}  // namespace transport_test
