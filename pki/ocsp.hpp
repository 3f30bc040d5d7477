#pragma once
// OCSP (RFC 6960) requests and responses as bytes; the actors do the HTTP. A request can be made
// from the hash data a station sends (OCPP's iso15118CertificateHashData / OCSPRequestData) without
// the certificate itself.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/authority.hpp"
#include "pki/x509.hpp"

namespace evbroker::pki {

/// DER OCSPRequest for one certificate, named by its hash data (SHA256/384/512 CertID), with a
/// random nonce.
Result<std::string> make_ocsp_request(const CertificateHashData& id);

enum class OcspCertStatus { good, revoked, unknown };
const char* to_string(OcspCertStatus status);

struct OcspAnswer {
  OcspCertStatus status = OcspCertStatus::unknown;
  std::int64_t this_update = 0;  // unix seconds
  std::int64_t next_update = 0;  // 0 when absent
  std::int64_t revoked_at = 0;   // revoked only
};

/// Reads a DER OCSPResponse: fails unless responseStatus is successful, the basic response's
/// signature verifies with a certificate that chains to one of `trust` (the issuer itself or a
/// delegated OCSP signer it issued), and it holds a SingleResponse for `id`.
Result<OcspAnswer> parse_ocsp_response(std::string_view der, const CertificateHashData& id,
                                       const std::vector<Certificate>& trust);

/// The responder side (the fake Hubject and tests): answers a DER OCSPRequest, signing with
/// `signer` (the issuing CA or its OCSP signer), asking `status_of` for each CertID. Echoes the
/// nonce.
Result<std::string> make_ocsp_response(std::string_view request_der, const CertificateAuthority& signer,
                                       const std::function<OcspCertStatus(const CertificateHashData&)>& status_of);

}  // namespace evbroker::pki
