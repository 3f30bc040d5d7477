#pragma once
// Private to protocol/transport: the pieces of an HTTP upgrade request that the websocket
// listener interprets itself (path, subprotocol offers, Basic credentials, TLS peer CN).
// Free of Beast so they are cheap to compile and easy to unit-test.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct ssl_st;  // OpenSSL's SSL

namespace evbroker::transport::detail {

/// The station id of a target of the form "/ws/<id>" (a query after '?' is ignored).
/// The id is percent-decoded; it must be non-empty and contain neither '/' (raw or decoded)
/// nor control characters. nullopt when the target has another form.
std::optional<std::string> parse_station_path(std::string_view target);

/// Appends the comma-separated, trimmed, non-empty tokens of one Sec-WebSocket-Protocol header.
void append_subprotocols(std::string_view header_value, std::vector<std::string>& out);

/// Standard base64 (RFC 4648, '=' padding optional). nullopt on any invalid character.
std::optional<std::string> base64_decode(std::string_view in);

/// "Basic <base64(user:pass)>" (scheme case-insensitive) split at the first ':'.
/// nullopt when the header is not a well-formed Basic credential.
std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header_value);

/// The subject CN of the peer certificate of a finished TLS handshake, only when the peer
/// presented a certificate, its verification succeeded (X509_V_OK), and the subject holds
/// exactly one CN without embedded NUL bytes.
std::optional<std::string> verified_peer_cn(const ssl_st* ssl);

/// The complete HTTP response refusing an upgrade: `status`, body `reason` + "\n",
/// Connection: close (and Upgrade: websocket with 426). `version` is 10 or 11.
std::string refusal_response(int status, unsigned version, const std::string& reason);

/// "ip:port" ("[v6]:port" for IPv6) for logs and UpgradeRequest::remote_address.
std::string format_endpoint(const std::string& ip, unsigned short port, bool v6);

}  // namespace evbroker::transport::detail
