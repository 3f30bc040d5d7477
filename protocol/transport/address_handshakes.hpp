#pragma once
// Handshakes in progress per source address, so that one address (a scanner, a misbehaving
// charger, a flood of idle sockets) cannot hold every slot of max_pending_handshakes and starve
// the stations behind other addresses. One object may be shared by the ws and wss listeners of a
// node (WsServerOptions::handshakes_by_address): the bound then holds across both.
// Thread-safe (one mutex, held for a map update per accepted socket and per ended handshake).

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace evbroker::transport {

/// The group a peer address counts in: an IPv4 address as itself ("192.0.2.7"), an IPv4-mapped
/// IPv6 address as its IPv4 address, any other IPv6 address by its /64 ("2001:db8:1:2::/64":
/// one site or one host usually owns a whole /64, so counting single IPv6 addresses bounds nothing).
std::string address_group(const boost::asio::ip::address& address);

class HandshakesByAddress {
 public:
  HandshakesByAddress() = default;
  HandshakesByAddress(const HandshakesByAddress&) = delete;
  HandshakesByAddress& operator=(const HandshakesByAddress&) = delete;

  /// Counts one more handshake for `group`; false (nothing counted) when `limit` are in progress.
  /// `limit` 0 means unlimited (the handshake is still counted, so end() stays symmetric).
  bool try_begin(const std::string& group, std::size_t limit);
  /// Ends one handshake counted by a successful try_begin.
  void end(const std::string& group);

  std::size_t in_progress(const std::string& group) const;
  /// Handshakes in progress over all groups.
  std::size_t total() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;  // no zero entries: memory follows load
  std::size_t total_ = 0;
};

}  // namespace evbroker::transport
