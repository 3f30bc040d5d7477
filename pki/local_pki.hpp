#pragma once
// The node's own PKI, made on first start under <data-dir>/pki when no certificates are configured
// (the embedded default: security profiles 2 and 3 and Plug & Charge work with no outside service).
//
//   csms-root ─┬─ csms-server        wss server certificate, ECDSA P-256 (localhost, 127.0.0.1, ::1 + configured names)
//              ├─ csms-server-rsa    the same names with an RSA key: OCPP 2.0.1 A00.FR.318 wants TLS 1.2's
//              │                     TLS_ECDHE_ECDSA_* and TLS_RSA_* suites, each needs a key of its kind
//              └─ cpo-sub-ca ─ <station certificates>   (profile 3 client certs, ChargingStationCertificate)
//   v2g-root ── v2g-cpo-sub-ca-1 ── v2g-cpo-sub-ca-2 ─ <SECC certificates>   (ISO 15118-2 V2GCertificate)
//   the CAs answer OCSP for what they issued in process (make_ocsp_response with the CA as signer)
//
// Files: <name>.crt (PEM, the certificate; for csms-server the chain without the root) and <name>.key
// (PKCS#8 PEM, mode 0600, directory 0700). A directory made before the RSA server certificate existed
// gets it on the next open, the other files untouched. Rotation re-issues the sub-CAs and the server
// certificates under the existing roots with new keys; the previous CPO sub-CA stays trusted
// (<name>.previous.crt) so stations keep connecting until they are renewed.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pki/authority.hpp"

namespace evbroker::pki {

struct LocalPkiOptions {
  std::vector<std::string> server_dns_names{"localhost"};
  std::vector<std::string> server_ip_addresses{"127.0.0.1", "::1"};
  std::string organization = "evbroker";
  std::chrono::seconds root_validity{std::chrono::hours(24 * 365 * 20)};
  std::chrono::seconds sub_ca_validity{std::chrono::hours(24 * 365 * 4)};
  std::chrono::seconds leaf_validity{std::chrono::hours(24 * 365)};
};

enum class RotateWhat { server, cpo, v2g, all };

class LocalPki {
 public:
  /// Loads the PKI under `dir`, creating whatever is missing (`created` tells whether anything was).
  /// Fails with a clear reason on unreadable or inconsistent files (a key that does not match its
  /// certificate, a certificate not issued by its parent).
  static Result<LocalPki> open_or_create(const std::string& dir, const LocalPkiOptions& options, bool* created);

  const CertificateAuthority& csms_root() const { return csms_root_; }
  const CertificateAuthority& cpo_sub_ca() const { return cpo_sub_ca_; }  // signs station certificates
  const CertificateAuthority& v2g_root() const { return v2g_root_; }
  const CertificateAuthority& v2g_signing_ca() const { return v2g_sub_ca_2_; }  // signs SECC certificates
  /// The certificates profile-3 client certificates may chain to (CPO sub-CA, and the previous
  /// one after a rotation).
  std::vector<Certificate> station_trust() const;

  std::string server_chain_path() const;  // PEM: the ECDSA server certificate alone (stations have csms-root)
  std::string server_key_path() const;
  std::string rsa_server_chain_path() const;  // PEM: the RSA server certificate alone
  std::string rsa_server_key_path() const;
  std::string station_trust_path() const;  // PEM bundle of station_trust()
  std::string dir() const { return dir_; }

  /// A station client certificate with a new key: CN = station id, O = organization, signed by the
  /// CPO sub-CA (profile charging_station). For operators setting up profile 3 and for tests.
  Result<std::pair<Certificate, PrivateKey>> issue_station_certificate(std::string_view station_id) const;

  /// Signs a station's CSR (SignCertificate): ChargingStationCertificate by the CPO sub-CA,
  /// V2GCertificate by the V2G signing sub-CA. Returns the leaf followed by its sub-CAs (no root).
  Result<std::vector<Certificate>> sign_charging_station(const CertificateRequest& csr) const;
  Result<std::vector<Certificate>> sign_v2g(const CertificateRequest& csr) const;

  /// Re-issues and rewrites the files; the object reflects the new state afterwards.
  Result<void*> rotate(RotateWhat what);

 private:
  LocalPki(std::string dir, LocalPkiOptions options, CertificateAuthority csms_root, CertificateAuthority cpo_sub_ca,
           CertificateAuthority v2g_root, CertificateAuthority v2g_sub_ca_1, CertificateAuthority v2g_sub_ca_2);
  std::string dir_;
  LocalPkiOptions options_;
  CertificateAuthority csms_root_, cpo_sub_ca_, v2g_root_, v2g_sub_ca_1_, v2g_sub_ca_2_;
  std::vector<Certificate> previous_cpo_;  // still trusted after a rotation
};

}  // namespace evbroker::pki
