#include "pki/est.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "pki/openssl_util.hpp"
#include "pki/password.hpp"

namespace evbroker::pki {

using namespace detail;

namespace {

std::string base64_lines(std::string_view bytes) {
  const std::string text = base64_encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 64) out += text.substr(i, 64) + "\n";
  return out;
}

/// PKCS#7 keeps the order the server wrote, which RFC 7030 does not fix; put the leaf first and
/// each certificate's issuer after it. Certificates that are not part of that path follow in their
/// original order.
std::vector<Certificate> leaf_first(std::vector<Certificate> certs) {
  auto issued = [](const Certificate& issuer, const Certificate& subject) {
    return &issuer != &subject && X509_check_issued(issuer.get(), subject.get()) == X509_V_OK;
  };
  std::vector<Certificate> ordered;
  std::vector<bool> used(certs.size(), false);
  std::size_t current = certs.size();
  for (std::size_t i = 0; i < certs.size() && current == certs.size(); ++i) {
    bool issues_another = false;
    for (std::size_t j = 0; j < certs.size(); ++j) issues_another = issues_another || issued(certs[i], certs[j]);
    if (!issues_another) current = i;
  }
  while (current < certs.size()) {
    used[current] = true;
    ordered.push_back(certs[current]);
    std::size_t next = certs.size();
    for (std::size_t j = 0; j < certs.size(); ++j)
      if (!used[j] && issued(certs[j], certs[current])) next = j;
    current = next;
  }
  for (std::size_t i = 0; i < certs.size(); ++i)
    if (!used[i]) ordered.push_back(certs[i]);
  ERR_clear_error();
  return ordered;
}

Result<std::vector<Certificate>> certificates_of(const PKCS7* p7) {
  if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == nullptr)
    return Unexpected(std::string("the PKCS#7 is not signed-data (certs-only)"));
  const STACK_OF(X509)* stack = p7->d.sign->cert;
  std::vector<Certificate> certs;
  for (int i = 0; stack != nullptr && i < sk_X509_num(stack); ++i) {
    X509* cert = sk_X509_value(stack, i);
    if (X509_up_ref(cert) != 1) return Unexpected(openssl_error("cannot reference a certificate"));
    certs.emplace_back(X509Ptr(cert));
  }
  if (certs.empty()) return Unexpected(std::string("the PKCS#7 holds no certificate"));
  return leaf_first(std::move(certs));
}

}  // namespace

std::string est_request_body(const CertificateRequest& csr) { return base64_lines(csr.der()); }

Result<std::vector<Certificate>> parse_est_certificates(std::string_view body) {
  if (body.find("-----BEGIN PKCS7") != std::string_view::npos) {
    const BioPtr bio = read_bio(body);
    const Pkcs7Ptr p7(PEM_read_bio_PKCS7(bio.get(), nullptr, nullptr, nullptr));
    if (!p7) return Unexpected(openssl_error("not a PEM PKCS#7"));
    return certificates_of(p7.get());
  }
  if (body.find("-----BEGIN") != std::string_view::npos) return parse_pem_chain(body);
  std::string der;
  if (!base64_decode(strip_whitespace(body), der)) return Unexpected(std::string("the EST body is not base64"));
  const unsigned char* cursor = bytes_of(der);
  const Pkcs7Ptr p7(d2i_PKCS7(nullptr, &cursor, static_cast<long>(der.size())));
  if (!p7) return Unexpected(openssl_error("the EST body is not a DER PKCS#7"));
  return certificates_of(p7.get());
}

Result<std::string> make_est_certificates(const std::vector<Certificate>& certificates) {
  Pkcs7Ptr p7(PKCS7_new());
  // certs-only: signed-data with no signers and detached (absent) data content, like
  // `openssl crl2pkcs7 -nocrl`.
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 || PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1 ||
      PKCS7_set_detached(p7.get(), 1) != 1)
    return Unexpected(openssl_error("cannot make a PKCS#7"));
  for (const auto& cert : certificates)
    if (PKCS7_add_certificate(p7.get(), cert.get()) != 1) return Unexpected(openssl_error("cannot add a certificate"));
  const std::string der = to_der(i2d_PKCS7, p7.get());
  if (der.empty()) return Unexpected(openssl_error("cannot encode the PKCS#7"));
  return base64_lines(der);
}

}  // namespace evbroker::pki
