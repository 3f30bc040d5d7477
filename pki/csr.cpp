#include "pki/csr.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/openssl_util.hpp"
#include "pki/password.hpp"

namespace evbroker::pki {

using namespace detail;

namespace {
std::shared_ptr<X509_REQ> share(X509ReqPtr req) { return {req.release(), X509_REQ_free}; }
}  // namespace

Result<CertificateRequest> CertificateRequest::from_pem(std::string_view pem) {
  if (pem.find("-----BEGIN") == std::string_view::npos) {
    // A bare base64 body, as some stations send it.
    std::string der;
    if (!base64_decode(strip_whitespace(pem), der)) return Unexpected(std::string("not a PEM or base64 CSR"));
    return from_der(der);
  }
  const BioPtr bio = read_bio(pem);
  // Also reads the old "NEW CERTIFICATE REQUEST" armour.
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return Unexpected(openssl_error("not a PEM certificate request"));
  return CertificateRequest(share(std::move(req)));
}

Result<CertificateRequest> CertificateRequest::from_der(std::string_view der) {
  const unsigned char* cursor = bytes_of(der);
  X509ReqPtr req(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
  if (!req) return Unexpected(openssl_error("not a DER certificate request"));
  if (cursor != bytes_of(der) + der.size())
    return Unexpected(std::string("not a DER certificate request: trailing bytes"));
  return CertificateRequest(share(std::move(req)));
}

bool CertificateRequest::signature_valid() const {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
  const bool valid = key != nullptr && X509_REQ_verify(req_.get(), key) == 1;
  ERR_clear_error();
  return valid;
}

std::string CertificateRequest::subject_cn() const {
  return name_entry(X509_REQ_get_subject_name(req_.get()), NID_commonName);
}
std::string CertificateRequest::subject_organization() const {
  return name_entry(X509_REQ_get_subject_name(req_.get()), NID_organizationName);
}
std::string CertificateRequest::subject() const { return name_one_line(X509_REQ_get_subject_name(req_.get())); }

std::string CertificateRequest::pem() const {
  const BioPtr bio = write_bio();
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return bio_text(bio.get());
}

std::string CertificateRequest::der() const { return to_der(i2d_X509_REQ, req_.get()); }

Result<CertificateRequest> make_csr(const PrivateKey& key, std::string_view common_name,
                                    std::string_view organization) {
  X509ReqPtr req(X509_REQ_new());
  const X509NamePtr name = make_name(common_name, organization);
  if (!req || !name || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 || X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0)
    return Unexpected(openssl_error("cannot make a CSR"));
  // The constructor from an X509_REQ is private to the class; a round trip through DER is cheap.
  return CertificateRequest::from_der(to_der(i2d_X509_REQ, req.get()));
}

}  // namespace evbroker::pki
