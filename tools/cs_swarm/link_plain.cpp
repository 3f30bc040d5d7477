// Plain websocket (ws://) links.

#include "tools/cs_swarm/link_impl.hpp"

namespace evbroker::swarm {

std::shared_ptr<Link> make_plain_link(boost::asio::io_context& io, LinkEvents& events) {
  return std::make_shared<detail::WsLink<boost::beast::tcp_stream>>(events, io);
}

}  // namespace evbroker::swarm
