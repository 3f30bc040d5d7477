#include "tools/cs_swarm/source_addresses.hpp"

#include <fstream>

namespace evbroker::swarm {
namespace {

std::optional<boost::asio::ip::address> parse_one(const std::string& text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return address;
}

}  // namespace

std::optional<std::vector<boost::asio::ip::address>> parse_source_addresses(const std::string& text) {
  std::vector<boost::asio::ip::address> out;
  if (auto dash = text.find('-'); dash != std::string::npos) {
    auto first = parse_one(text.substr(0, dash));
    auto last = parse_one(text.substr(dash + 1));
    if (!first || !last || !first->is_v4() || !last->is_v4()) return std::nullopt;
    const auto lo = first->to_v4().to_uint();
    const auto hi = last->to_v4().to_uint();
    if (hi < lo || hi - lo >= 65536) return std::nullopt;
    for (auto a = lo; a <= hi; ++a) out.emplace_back(boost::asio::ip::address_v4(a));
    return out;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    auto one = parse_one(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!one) return std::nullopt;
    out.push_back(*one);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::size_t ephemeral_ports_per_address() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  std::size_t lo = 0, hi = 0;
  if (in >> lo >> hi && hi > lo) return hi - lo + 1;
  return 28232;  // Linux's default 32768-60999
}

}  // namespace evbroker::swarm
