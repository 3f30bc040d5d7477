#pragma once
// Private to protocol/transport: the URL form the HTTP client accepts, parsed without Beast so it
// is cheap to compile and to test.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"

namespace evbroker::transport::detail {

struct ClientUrl {
  bool tls = false;         // https
  std::string host;         // as resolved and verified: an IPv6 literal without its brackets
  std::uint16_t port = 0;   // 80 / 443 when the URL names none
  std::string target;       // path and query, "/" when the URL has no path
  std::string host_header;  // the Host header: host (bracketed for IPv6), ":port" unless default
  /// The connection pool's key: connections are shared only within one scheme, host and port.
  std::string pool_key() const;
};

/// Parses "http(s)://host[:port][/path][?query]"; the error says what is wrong. User info
/// ("user@host") and fragments are refused: nothing the node calls uses them.
Expected<ClientUrl, std::string> parse_client_url(std::string_view url);

}  // namespace evbroker::transport::detail
