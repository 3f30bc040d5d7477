#pragma once
// The few URL forms cs_swarm takes: ws://, wss://, http:// with a host, an optional port and a path.

#include <cstdint>
#include <optional>
#include <string>

namespace evbroker::swarm {

struct Url {
  std::string scheme;  // "ws", "wss", "http", "https"
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string path;  // without a trailing '/'; "" for the root

  /// "host:port" as sent in the Host header.
  std::string host_header() const;
};

/// Parses scheme://host[:port][/path]; the port defaults to the scheme's. Nothing on error.
std::optional<Url> parse_url(const std::string& text);

}  // namespace evbroker::swarm
