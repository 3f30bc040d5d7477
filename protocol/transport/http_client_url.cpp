// URL parsing for the HTTP client (see http_client_url.hpp).
#include "protocol/transport/http_client_url.hpp"

#include <algorithm>
#include <cctype>

namespace evbroker::transport::detail {

namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

/// Characters a registered name or an IPv4 address may hold (RFC 3986 reg-name without escapes).
bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool is_ipv6_char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; }

/// "443" -> 443; empty, non-digits, 0 or above 65535 -> 0.
std::uint16_t parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return 0;
  unsigned value = 0;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return 0;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value > 65535 ? 0 : static_cast<std::uint16_t>(value);
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

}  // namespace

std::string ClientUrl::pool_key() const { return (tls ? "https " : "http ") + host + " " + std::to_string(port); }

Expected<ClientUrl, std::string> parse_client_url(std::string_view url) {
  using Error = Unexpected<std::string>;
  ClientUrl out;
  if (has_control_or_space(url)) return Error("URL contains spaces or control characters");
  if (starts_with_ci(url, "https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (starts_with_ci(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return Error("URL must start with http:// or https://");
  }
  if (url.find('#') != std::string_view::npos) return Error("URL has a fragment");

  const std::size_t authority_end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, authority_end);
  const std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view{} : url.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return Error("URL has user info");

  std::string_view port_text;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error("URL has an unterminated IPv6 literal");
    const std::string_view literal = authority.substr(1, close - 1);
    if (literal.empty() || !std::all_of(literal.begin(), literal.end(), is_ipv6_char) ||
        literal.find(':') == std::string_view::npos) {
      return Error("URL has a malformed IPv6 literal");
    }
    out.host = std::string(literal);
    ipv6 = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error("URL has junk after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return Error("URL has an empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Error("URL has an empty port");
    }
    if (host.empty()) return Error("URL has no host");
    if (!std::all_of(host.begin(), host.end(), is_host_char)) return Error("URL host has invalid characters");
    out.host = std::string(host);
  }

  const std::uint16_t default_port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    out.port = parse_port(port_text);
    if (out.port == 0) return Error("URL has an invalid port");
  } else {
    out.port = default_port;
  }

  out.target = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (out.port != default_port) out.host_header += ":" + std::to_string(out.port);
  return out;
}

}  // namespace evbroker::transport::detail
