#pragma once
// EST (RFC 7030) bodies as Hubject's CPO EST service uses them: simpleenroll/simplereenroll send a
// base64 DER PKCS#10 (Content-Type application/pkcs10) and get back a base64 DER PKCS#7 certs-only
// (application/pkcs7-mime); cacerts returns the CA chain the same way.

#include <string>
#include <string_view>
#include <vector>

#include "pki/csr.hpp"
#include "pki/x509.hpp"

namespace evbroker::pki {

std::string est_request_body(const CertificateRequest& csr);  // base64 of the DER, 64-column lines
/// Certificates of a base64 PKCS#7 certs-only body (whitespace tolerated); a PEM bundle is accepted
/// too. Leaf first when the body holds a chain.
Result<std::vector<Certificate>> parse_est_certificates(std::string_view body);
/// The server side (tests, fake back ends): a base64 PKCS#7 certs-only of `certificates`.
Result<std::string> make_est_certificates(const std::vector<Certificate>& certificates);

}  // namespace evbroker::pki
