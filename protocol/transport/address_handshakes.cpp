#include "protocol/transport/address_handshakes.hpp"

namespace evbroker::transport {

namespace ip = boost::asio::ip;

std::string address_group(const ip::address& address) {
  if (address.is_v4()) return address.to_v4().to_string();
  const ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6).to_string();
  ip::address_v6::bytes_type bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return ip::address_v6(bytes).to_string() + "/64";
}

bool HandshakesByAddress::try_begin(const std::string& group, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = counts_.try_emplace(group, 0);
  if (limit != 0 && it->second >= limit) return false;  // never a fresh entry: limit >= 1 here
  ++it->second;
  ++total_;
  return true;
}

void HandshakesByAddress::end(const std::string& group) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(group);
  if (it == counts_.end()) return;  // not counted: nothing to give back
  --total_;
  if (--it->second == 0) counts_.erase(it);
}

std::size_t HandshakesByAddress::in_progress(const std::string& group) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(group);
  return it == counts_.end() ? 0 : it->second;
}

std::size_t HandshakesByAddress::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace evbroker::transport
