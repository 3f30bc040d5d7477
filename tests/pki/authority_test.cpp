// The CA: each profile's extensions as OpenSSL reads them, serials, validity, signing CSRs.

#include "pki/authority.hpp"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "helpers.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::now_seconds;
using evbroker::pki::test::SmallPki;

namespace {

bool critical(const Certificate& cert, int nid) {
  const int index = X509_get_ext_by_NID(cert.get(), nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)) == 1;
}

bool has_extension(const Certificate& cert, int nid) { return X509_get_ext_by_NID(cert.get(), nid, -1) >= 0; }

std::string bytes(const ASN1_OCTET_STRING* s) {
  return s ? std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s)) : "";
}

/// Every certificate has a subjectKeyIdentifier, and its authorityKeyIdentifier is the issuer's.
void check_key_identifiers(const Certificate& cert, const Certificate& issuer) {
  REQUIRE(X509_get0_subject_key_id(cert.get()));
  REQUIRE(X509_get0_authority_key_id(cert.get()));
  CHECK(bytes(X509_get0_authority_key_id(cert.get())) == bytes(X509_get0_subject_key_id(issuer.get())));
}

Certificate issue(const SmallPki& pki, CertificateProfile profile, IssueOptions options = {}) {
  options.profile = profile;
  return must(pki.sub.issue(must(PrivateKey::generate_p256()), "subject", "Org", options));
}

}  // namespace

TEST_CASE("root CA profile", "[authority]") {
  SmallPki pki;
  const Certificate& root = pki.root.certificate();
  CHECK(X509_check_ca(root.get()) >= 1);
  CHECK(X509_get_key_usage(root.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(critical(root, NID_basic_constraints));
  CHECK(critical(root, NID_key_usage));
  CHECK_FALSE(has_extension(root, NID_ext_key_usage));
  CHECK(X509_get_pathlen(root.get()) == -1);
  check_key_identifiers(root, root);
  CHECK(root.self_signed());
  CHECK(root.subject() == "CN=Test Root,O=Test Org");
  CHECK(pki.root.chain().size() == 1);
}

TEST_CASE("sub-CA profile with a path length", "[authority]") {
  SmallPki pki;
  const Certificate& sub = pki.sub.certificate();
  CHECK(X509_check_ca(sub.get()) >= 1);
  CHECK(X509_get_key_usage(sub.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(critical(sub, NID_basic_constraints));
  CHECK(X509_get_pathlen(sub.get()) == 0);
  check_key_identifiers(sub, pki.root.certificate());
  REQUIRE(pki.sub.chain().size() == 2);
  CHECK(pki.sub.root() == pki.root.certificate());
  CHECK(sub.signed_by(pki.root.certificate()));

  const CertificateAuthority unlimited = must(pki.root.create_sub_ca("Unlimited", "Org", std::chrono::hours(24), -1));
  CHECK(X509_get_pathlen(unlimited.certificate().get()) == -1);
  const CertificateAuthority two = must(pki.root.create_sub_ca("Two", "Org", std::chrono::hours(24), 2));
  CHECK(X509_get_pathlen(two.certificate().get()) == 2);
}

TEST_CASE("CSMS server profile with SANs", "[authority]") {
  SmallPki pki;
  IssueOptions options;
  options.dns_names = {"localhost", "csms.example"};
  options.ip_addresses = {"127.0.0.1", "::1"};
  const Certificate server = issue(pki, CertificateProfile::csms_server, options);
  CHECK(X509_check_ca(server.get()) == 0);
  CHECK(X509_get_key_usage(server.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT));
  CHECK(X509_get_extended_key_usage(server.get()) == XKU_SSL_SERVER);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "csms.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "other.example", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
  check_key_identifiers(server, pki.sub.certificate());

  options.ip_addresses = {"not-an-ip"};
  options.profile = CertificateProfile::csms_server;
  const auto bad = pki.sub.issue(must(PrivateKey::generate_p256()), "server", "Org", options);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error(), Catch::Contains("not an IP address: not-an-ip"));
}

TEST_CASE("an RSA CSMS server certificate has no keyAgreement", "[authority]") {
  // keyAgreement is for (EC)DH keys; an RSA server key signs and decrypts (TLS_RSA_* suites).
  SmallPki pki;
  IssueOptions options;
  options.profile = CertificateProfile::csms_server;
  options.ip_addresses = {"127.0.0.1"};
  const Certificate server = must(pki.sub.issue(must(PrivateKey::generate_rsa(2048)), "server", "Org", options));
  CHECK(server.key_type() == KeyType::rsa);
  CHECK(X509_get_key_usage(server.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  CHECK(X509_get_extended_key_usage(server.get()) == XKU_SSL_SERVER);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(server.signed_by(pki.sub.certificate()));
}

TEST_CASE("charging station, V2G SECC and OCSP signer profiles", "[authority]") {
  SmallPki pki;
  const Certificate station = issue(pki, CertificateProfile::charging_station);
  CHECK(X509_check_ca(station.get()) == 0);
  CHECK(X509_get_key_usage(station.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
  CHECK(X509_get_extended_key_usage(station.get()) == XKU_SSL_CLIENT);
  CHECK_FALSE(has_extension(station, NID_subject_alt_name));
  check_key_identifiers(station, pki.sub.certificate());

  const Certificate secc = issue(pki, CertificateProfile::v2g_secc);
  CHECK(X509_check_ca(secc.get()) == 0);
  CHECK(X509_get_key_usage(secc.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
  CHECK(critical(secc, NID_key_usage));
  CHECK_FALSE(has_extension(secc, NID_ext_key_usage));
  check_key_identifiers(secc, pki.sub.certificate());

  const Certificate ocsp = issue(pki, CertificateProfile::ocsp_signer);
  CHECK(X509_check_ca(ocsp.get()) == 0);
  CHECK(X509_get_key_usage(ocsp.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(ocsp.get()) == XKU_OCSP_SIGN);
  check_key_identifiers(ocsp, pki.sub.certificate());
}

TEST_CASE("serials are random, positive and 16 bytes long", "[authority]") {
  SmallPki pki;
  const Certificate a = pki.leaf("a");
  const Certificate b = pki.leaf("b");
  CHECK(a.serial_hex() != b.serial_hex());
  for (const Certificate* cert : {&a, &b, &pki.sub.certificate(), &pki.root.certificate()}) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert->get());
    CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    CHECK(ASN1_STRING_length(serial) == 16);
  }
}

TEST_CASE("validity starts 5 minutes back and never outlives the issuer", "[authority]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("long", CertificateProfile::charging_station, std::chrono::hours(24 * 365 * 10));
  CHECK(std::abs(leaf.not_before() - (now_seconds() - 300)) < 60);
  CHECK(leaf.not_after() == pki.sub.certificate().not_after());
  CHECK(std::abs(pki.sub.certificate().not_after() - (now_seconds() + 180 * 24 * 3600)) < 60);
}

TEST_CASE("signing a CSR takes CN, O and the key from it", "[authority]") {
  SmallPki pki;
  const PrivateKey key = must(PrivateKey::generate_p256());
  const CertificateRequest csr = must(make_csr(key, "CS042", "Station Maker"));
  const Certificate cert = must(pki.sub.sign(csr, IssueOptions{}));
  CHECK(cert.subject() == "CN=CS042,O=Station Maker");
  CHECK(cert.public_key_der() == key.public_key_der());
  CHECK(cert.signed_by(pki.sub.certificate()));
  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_CLIENT);

  const auto nameless = pki.sub.issue(key, "", "Org", IssueOptions{});
  REQUIRE_FALSE(nameless);
  CHECK_THAT(nameless.error(), Catch::Contains("no common name"));
}
