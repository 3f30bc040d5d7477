#include "tools/cs_swarm/url.hpp"

#include <charconv>

namespace evbroker::swarm {

std::string Url::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<Url> parse_url(const std::string& text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  url.scheme = text.substr(0, scheme_end);
  std::uint16_t default_port = 0;
  if (url.scheme == "ws" || url.scheme == "http")
    default_port = 80;
  else if (url.scheme == "wss" || url.scheme == "https")
    default_port = 443;
  else
    return std::nullopt;

  std::string rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  std::string authority = rest.substr(0, path_start);
  url.path = path_start == std::string::npos ? "" : rest.substr(path_start);
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();

  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  url.port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

}  // namespace evbroker::swarm
