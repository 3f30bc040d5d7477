#include "protocol/transport/upgrade_parse.hpp"

#include <cstdint>

#include <boost/beast/http/status.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocol/transport/http_server.hpp"  // percent_decode

namespace evbroker::transport::detail {

namespace {

constexpr std::string_view kWsPrefix = "/ws/";

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto la = static_cast<unsigned char>(a[i]);
    auto lb = static_cast<unsigned char>(b[i]);
    if (la >= 'A' && la <= 'Z') la = static_cast<unsigned char>(la - 'A' + 'a');
    if (lb >= 'A' && lb <= 'Z') lb = static_cast<unsigned char>(lb - 'A' + 'a');
    if (la != lb) return false;
  }
  return true;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> parse_station_path(std::string_view target) {
  const auto query = target.find('?');
  std::string_view path = target.substr(0, query);
  if (path.substr(0, kWsPrefix.size()) != kWsPrefix) return std::nullopt;
  const std::string_view raw_id = path.substr(kWsPrefix.size());
  if (raw_id.empty() || raw_id.find('/') != std::string_view::npos) return std::nullopt;
  std::string id;
  if (!percent_decode(raw_id, id) || id.empty()) return std::nullopt;
  for (char c : id) {
    if (c == '/' || is_control(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return id;
}

void append_subprotocols(std::string_view header_value, std::vector<std::string>& out) {
  while (!header_value.empty()) {
    const auto comma = header_value.find(',');
    const std::string_view token = trim(header_value.substr(0, comma));
    if (!token.empty()) out.emplace_back(token);
    if (comma == std::string_view::npos) break;
    header_value.remove_prefix(comma + 1);
  }
}

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;  // no valid encoding has this length
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  return out;
}

std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header_value) {
  header_value = trim(header_value);
  constexpr std::string_view kScheme = "basic";
  if (header_value.size() <= kScheme.size() || !iequals(header_value.substr(0, kScheme.size()), kScheme) ||
      (header_value[kScheme.size()] != ' ' && header_value[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  auto decoded = base64_decode(trim(header_value.substr(kScheme.size())));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

std::optional<std::string> verified_peer_cn(const ssl_st* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  // A resumed session (tls_tickets.hpp) was verified when it began; a certificate that has
  // expired since no longer names the station.
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) return std::nullopt;
  const X509_NAME* subject = X509_get_subject_name(cert);
  if (subject == nullptr) return std::nullopt;
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  // Two CNs would make "the" station name ambiguous: accept none then.
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return std::nullopt;
  const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
  const ASN1_STRING* data = entry != nullptr ? X509_NAME_ENTRY_get_data(entry) : nullptr;
  if (data == nullptr) return std::nullopt;
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0 || utf8 == nullptr) return std::nullopt;
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  if (cn.find('\0') != std::string::npos) return std::nullopt;
  return cn;
}

std::string refusal_response(int status, unsigned version, const std::string& reason) {
  const auto phrase = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  const std::string body = reason + "\n";
  std::string out = version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out.append(phrase.data(), phrase.size());
  out += "\r\nServer: evbroker\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\nConnection: close\r\n";
  if (status == 426) out += "Upgrade: websocket\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string format_endpoint(const std::string& ip, unsigned short port, bool v6) {
  std::string out;
  out.reserve(ip.size() + 8);
  if (v6) out += '[';
  out += ip;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace evbroker::transport::detail
