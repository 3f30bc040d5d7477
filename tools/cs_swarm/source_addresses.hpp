#pragma once
// Local addresses to bind outgoing sockets to. One (source address, destination) pair has at most
// ~28k ephemeral ports (net.ipv4.ip_local_port_range), so 100k connections to one server port need
// several source addresses; on loopback every 127.x.y.z is local and needs no configuration.

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace evbroker::swarm {

/// "127.0.0.1-127.0.0.16" (an inclusive IPv4 range), "10.0.0.1,10.0.0.2" (a list), or one address.
/// Nothing when the text is malformed or the range is empty or longer than 65536.
std::optional<std::vector<boost::asio::ip::address>> parse_source_addresses(const std::string& text);

/// Ephemeral ports the kernel hands out per source address (from /proc; 28232 when unreadable).
std::size_t ephemeral_ports_per_address();

}  // namespace evbroker::swarm
