#pragma once
// PKCS#10 certificate signing requests: what a station sends in SignCertificate (PEM) and what an
// EST server receives (base64 DER).

#include <string>
#include <string_view>

#include <openssl/x509.h>  // X509_REQ: openssl/types.h does not declare it

#include "pki/x509.hpp"

namespace evbroker::pki {

class CertificateRequest {
 public:
  /// PEM ("-----BEGIN CERTIFICATE REQUEST-----"). Also accepts the base64 body without the PEM
  /// armour, since some stations send that.
  static Result<CertificateRequest> from_pem(std::string_view pem);
  static Result<CertificateRequest> from_der(std::string_view der);

  /// The CSR is signed by the key it carries (proof of possession).
  bool signature_valid() const;
  std::string subject_cn() const;
  std::string subject_organization() const;
  std::string subject() const;  // RFC 2253 one line
  std::string pem() const;
  std::string der() const;
  X509_REQ* get() const { return req_.get(); }

 private:
  explicit CertificateRequest(std::shared_ptr<X509_REQ> req) : req_(std::move(req)) {}
  std::shared_ptr<X509_REQ> req_;
};

/// A CSR for `key` with subject CN (and O when given), signed with SHA-256. For tests, the load
/// generator and the local PKI.
Result<CertificateRequest> make_csr(const PrivateKey& key, std::string_view common_name,
                                    std::string_view organization = {});

}  // namespace evbroker::pki
