// PKCS#10 requests: making, reading, signature checks.

#include "pki/csr.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "pki/password.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::SmallPki;

TEST_CASE("a CSR survives PEM and DER round trips", "[csr]") {
  const PrivateKey key = must(PrivateKey::generate_p256());
  const CertificateRequest csr = must(make_csr(key, "CS001", "Example"));
  CHECK(csr.signature_valid());
  CHECK(csr.subject_cn() == "CS001");
  CHECK(csr.subject_organization() == "Example");
  CHECK(csr.subject() == "CN=CS001,O=Example");
  CHECK(csr.pem().rfind("-----BEGIN CERTIFICATE REQUEST-----", 0) == 0);

  const CertificateRequest from_pem = must(CertificateRequest::from_pem(csr.pem()));
  CHECK(from_pem.der() == csr.der());
  CHECK(from_pem.signature_valid());
  const CertificateRequest from_der = must(CertificateRequest::from_der(csr.der()));
  CHECK(from_der.subject_cn() == "CS001");

  // The bare base64 body, as some stations send it, with line breaks.
  std::string body = base64_encode(csr.der());
  body.insert(64, "\n");
  const CertificateRequest bare = must(CertificateRequest::from_pem(body));
  CHECK(bare.der() == csr.der());
}

TEST_CASE("a CSR without organization has none", "[csr]") {
  const CertificateRequest csr = must(make_csr(must(PrivateKey::generate_p256()), "CS002"));
  CHECK(csr.subject() == "CN=CS002");
  CHECK(csr.subject_organization().empty());
}

TEST_CASE("a CSR with a flipped signature byte is not valid and is not signed", "[csr]") {
  const CertificateRequest csr = must(make_csr(must(PrivateKey::generate_p256()), "CS001", "Example"));
  std::string der = csr.der();
  der.back() = static_cast<char>(der.back() ^ 0x01);  // the last byte belongs to the signature
  const CertificateRequest tampered = must(CertificateRequest::from_der(der));
  CHECK(tampered.subject_cn() == "CS001");
  CHECK_FALSE(tampered.signature_valid());

  SmallPki pki;
  const auto signed_cert = pki.sub.sign(tampered, IssueOptions{});
  REQUIRE_FALSE(signed_cert);
  CHECK_THAT(signed_cert.error(), Catch::Contains("signature"));
}

TEST_CASE("text that is not a CSR gives a clear reason", "[csr]") {
  const auto pem =
      CertificateRequest::from_pem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
  REQUIRE_FALSE(pem);
  CHECK_THAT(pem.error(), Catch::Contains("not a PEM certificate request"));
  const auto base64 = CertificateRequest::from_pem("not base64!");
  REQUIRE_FALSE(base64);
  CHECK_THAT(base64.error(), Catch::Contains("not a PEM or base64 CSR"));
  const auto der = CertificateRequest::from_der("\x30\x00");
  REQUIRE_FALSE(der);
  CHECK_THAT(der.error(), Catch::Contains("not a DER certificate request"));
}
