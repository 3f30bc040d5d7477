#pragma once
// A certificate authority: a CA certificate, its key and its chain up to the root. Signs CSRs with
// the extensions each kind of certificate needs (OCPP 2.0.1 part 2 A00 "Certificate properties",
// ISO 15118-2 annex F for the V2G PKI).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "pki/csr.hpp"
#include "pki/x509.hpp"

namespace evbroker::pki {

/// What a certificate is for; decides basicConstraints, keyUsage and extendedKeyUsage.
enum class CertificateProfile {
  root_ca,           // CA:TRUE critical; keyCertSign, cRLSign
  sub_ca,            // CA:TRUE, pathlen from IssueOptions; keyCertSign, cRLSign
  csms_server,       // CA:FALSE; digitalSignature, keyEncipherment, keyAgreement (not for RSA); serverAuth; SANs
  charging_station,  // CA:FALSE; digitalSignature, keyAgreement; clientAuth (OCPP security profile 3)
  v2g_secc,          // CA:FALSE; digitalSignature, keyAgreement (critical); ISO 15118-2 SECC leaf
  ocsp_signer,       // CA:FALSE; digitalSignature; OCSPSigning
};

struct IssueOptions {
  CertificateProfile profile = CertificateProfile::charging_station;
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
  int path_length = -1;                   // sub_ca: pathlen constraint; -1 none
  std::vector<std::string> dns_names;     // csms_server SANs
  std::vector<std::string> ip_addresses;  // csms_server SANs ("127.0.0.1", "::1")
  std::string ocsp_url;                   // authorityInfoAccess OCSP entry when not empty
};

class CertificateAuthority {
 public:
  /// `chain`: this CA's certificate first, then its issuers up to (and including) the root.
  CertificateAuthority(std::vector<Certificate> chain, PrivateKey key);

  /// A new self-signed root (profile root_ca).
  static Result<CertificateAuthority> create_root(std::string_view common_name, std::string_view organization,
                                                  std::chrono::seconds validity, const PrivateKey& key);

  /// Signs a CSR: subject taken from the CSR (CN and O), public key from the CSR, a random 16-byte
  /// positive serial, notBefore = now - 5 min (clock skew), notAfter = now + validity but never
  /// after this CA's own notAfter. Fails when the CSR's signature is bad.
  Result<Certificate> sign(const CertificateRequest& csr, const IssueOptions& options) const;
  /// Issues directly for a key (local PKI set-up, tests): same rules as sign().
  Result<Certificate> issue(const PrivateKey& subject_key, std::string_view common_name, std::string_view organization,
                            const IssueOptions& options) const;
  /// A subordinate CA under this one, with a fresh P-256 key.
  Result<CertificateAuthority> create_sub_ca(std::string_view common_name, std::string_view organization,
                                             std::chrono::seconds validity, int path_length) const;

  const Certificate& certificate() const { return chain_.front(); }
  const std::vector<Certificate>& chain() const { return chain_; }  // this CA first, root last
  const Certificate& root() const { return chain_.back(); }
  const PrivateKey& key() const { return key_; }

 private:
  std::vector<Certificate> chain_;
  PrivateKey key_;
};

}  // namespace evbroker::pki
