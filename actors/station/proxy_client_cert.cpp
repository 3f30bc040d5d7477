#include "actors/station/proxy_client_cert.hpp"

#include <algorithm>
#include <ctime>
#include <string_view>
#include <vector>

#include "actors/records/certificate_records.hpp"
#include "pki/verify.hpp"

namespace evbroker::actors {
namespace {

constexpr std::string_view kProtoHeader = "X-Forwarded-Proto";
constexpr std::string_view kCertHeader = "X-Client-Cert";
constexpr std::string_view kHashHeader = "X-Client-Cert-Hash";

std::string header(const transport::UpgradeRequest& request, std::string_view name) {
  return request.header ? request.header(name) : std::string();
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch); });
  return out;
}

/// "https" (also "https, http" from a chain of proxies: the first is the one the station reached).
bool says_https(std::string_view value) {
  const auto first = lower(trim(value.substr(0, value.find(','))));
  return first == "https" || first == "wss";
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/// URL escapes (%XX) undone; '+' stays '+' (it is base64, not a form-encoded space).
pki::Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) return Unexpected(std::string("bad URL escape at offset ") + std::to_string(i));
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

/// base64 text as a PEM CERTIFICATE block with the 64-character lines OpenSSL's reader expects.
std::string certificate_pem(std::string_view base64) {
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t i = 0; i < base64.size(); i += 64) {
    pem.append(base64.substr(i, 64));
    pem += '\n';
  }
  pem += "-----END CERTIFICATE-----\n";
  return pem;
}

std::string without_spaces(std::string_view text) {
  std::string out;
  for (char ch : text)
    if (!is_space(ch)) out += ch;
  return out;
}

/// The CERTIFICATE blocks of PEM text whose line breaks a proxy turned into spaces (or dropped),
/// rebuilt as proper PEM.
pki::Result<std::string> normalised_pem(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::string out;
  for (auto begin = text.find(kBegin); begin != std::string_view::npos; begin = text.find(kBegin, begin)) {
    const auto body = begin + kBegin.size();
    const auto end = text.find(kEnd, body);
    if (end == std::string_view::npos) return Unexpected(std::string("a certificate's END line is missing"));
    out += certificate_pem(without_spaces(text.substr(body, end - body)));
    begin = end + kEnd.size();
  }
  if (out.empty()) return Unexpected(std::string("no BEGIN CERTIFICATE block"));
  return out;
}

/// Base64 (standard or URL-safe, padded or not) of a DER certificate, as PEM.
pki::Result<std::string> pem_from_base64_der(std::string_view text) {
  std::string base64 = without_spaces(text);
  for (char& ch : base64) {
    if (ch == '-') ch = '+';
    if (ch == '_') ch = '/';
  }
  const bool alphabet_ok = !base64.empty() && std::all_of(base64.begin(), base64.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
           ch == '=';
  });
  if (!alphabet_ok) return Unexpected(std::string("neither PEM nor base64 DER"));
  while (base64.size() % 4 != 0) base64 += '=';
  return certificate_pem(base64);
}

/// The certificates of an X-Client-Cert value, leaf first.
pki::Result<std::vector<pki::Certificate>> certificates_from_header(std::string_view value) {
  std::string text(trim(value));
  if (text.find('%') != std::string::npos) {
    auto decoded = percent_decode(text);
    if (!decoded) return Unexpected(decoded.error());
    text = std::move(*decoded);
  }
  auto pem = text.find("-----BEGIN") != std::string::npos ? normalised_pem(text) : pem_from_base64_der(text);
  if (!pem) return Unexpected(pem.error());
  return pki::parse_pem_chain(*pem);
}

/// A certificate passed in full: it must chain to the station trust store, like one presented to
/// the node's own wss listener.
void accept_passed_certificate(std::string_view value, const NodeContext& ctx, ProxiedTls& out) {
  auto chain = certificates_from_header(value);
  if (!chain) {
    out.problem = std::string(kCertHeader) + " is not a certificate: " + chain.error();
    return;
  }
  const auto& leaf = chain->front();
  const std::vector<pki::Certificate> rest(chain->begin() + 1, chain->end());
  const auto verified = pki::verify_chain(leaf, rest, ctx.station_trust);
  if (verified.verdict != pki::ChainVerdict::valid) {
    out.problem = std::string("client certificate (") + std::string(kCertHeader) +
                  ") does not chain to the station trust store: " + pki::to_string(verified.verdict) + ": " +
                  verified.detail;
    return;
  }
  if (leaf.subject_cn().empty()) {
    out.problem = "client certificate " + leaf.subject() + " has no subject CN to name the station";
    return;
  }
  out.client_cert_cn = leaf.subject_cn();
}

/// A certificate named by its hash: the operator uploaded it through the authenticated management
/// API, which is what makes it trusted (it need not chain to the station trust store); it must still
/// be within its validity period.
void accept_uploaded_certificate(std::string_view value, const NodeContext& ctx, ProxiedTls& out) {
  const std::string hash(trim(value));
  const auto stored = ctx.store->read().get(storage::Table::certificates, upload_key(hash));
  if (!stored) {
    out.problem = "client certificate " + hash + " (" + std::string(kHashHeader) +
                  ") is unknown: upload it with POST /api/v0/certificate";
    return;
  }
  auto certificate = pki::Certificate::from_pem(*stored);
  if (!certificate) {
    out.problem = "uploaded certificate " + hash + " cannot be read: " + certificate.error();
    return;
  }
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  if (now < certificate->not_before() || now > certificate->not_after()) {
    out.problem = "client certificate " + hash + " (" + certificate->subject() + ") is outside its validity period";
    return;
  }
  if (certificate->subject_cn().empty()) {
    out.problem = "client certificate " + hash + " has no subject CN to name the station";
    return;
  }
  out.client_cert_cn = certificate->subject_cn();
}

}  // namespace

ProxiedTls read_proxied_tls(const transport::UpgradeRequest& request, const NodeContext& ctx) {
  ProxiedTls out;
  out.tls = says_https(header(request, kProtoHeader));
  if (!out.tls) return out;  // a certificate without TLS proves nothing
  // The full certificate wins over its hash: it can be verified here.
  if (const auto cert = header(request, kCertHeader); !trim(cert).empty()) {
    accept_passed_certificate(cert, ctx, out);
  } else if (const auto hash = header(request, kHashHeader); !trim(hash).empty()) {
    accept_uploaded_certificate(hash, ctx, out);
  }
  return out;
}

bool has_proxy_headers(const transport::UpgradeRequest& request) {
  return !header(request, kProtoHeader).empty() || !header(request, kCertHeader).empty() ||
         !header(request, kHashHeader).empty();
}

}  // namespace evbroker::actors
