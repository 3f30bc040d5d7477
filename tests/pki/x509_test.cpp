// Keys, certificates, PEM bundles, digests and OCPP hash data.

#include "pki/x509.hpp"

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "helpers.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::now_seconds;
using evbroker::pki::test::SmallPki;

namespace {
std::string hex_of(const ASN1_STRING* s) {
  std::string hex;
  char buf[3];
  for (int i = 0; i < ASN1_STRING_length(s); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", ASN1_STRING_get0_data(s)[i]);
    hex += buf;
  }
  return hex;
}
}  // namespace

TEST_CASE("a generated P-256 key survives a PEM round trip", "[x509]") {
  const PrivateKey key = must(PrivateKey::generate_p256());
  const std::string pem = key.pem();
  CHECK(pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);  // PKCS#8, unencrypted
  const PrivateKey again = must(PrivateKey::from_pem(pem));
  CHECK(again.pem() == pem);
  CHECK(again.public_key_der() == key.public_key_der());
  CHECK(EVP_PKEY_get_bits(key.get()) == 256);
  CHECK(must(PrivateKey::generate_p256()).public_key_der() != key.public_key_der());
}

TEST_CASE("a generated RSA key survives a PEM round trip and knows its type", "[x509]") {
  const PrivateKey key = must(PrivateKey::generate_rsa(2048));
  CHECK(EVP_PKEY_get_bits(key.get()) == 2048);
  CHECK(key.type() == KeyType::rsa);
  CHECK(must(PrivateKey::from_pem(key.pem())).public_key_der() == key.public_key_der());
  CHECK(must(PrivateKey::generate_p256()).type() == KeyType::ec);
  CHECK(key_type_name(KeyType::rsa) == "RSA");
  CHECK(key_type_name(KeyType::ec) == "ECDSA");
  const auto weak = PrivateKey::generate_rsa(1024);
  REQUIRE_FALSE(weak);
  CHECK_THAT(weak.error(), Catch::Contains("at least 2048 bits"));
}

TEST_CASE("text that is not a key or a certificate gives a clear reason", "[x509]") {
  const auto key = PrivateKey::from_pem("hello");
  REQUIRE_FALSE(key);
  CHECK_THAT(key.error(), Catch::Contains("not a PEM private key: no \"-----BEGIN PRIVATE KEY-----\""));
  const auto damaged = PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  REQUIRE_FALSE(damaged);
  CHECK_THAT(damaged.error(), Catch::Contains("damaged or of an unsupported kind"));

  const auto cert = Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(cert);
  CHECK_THAT(cert.error(), Catch::Contains("not a PEM certificate"));

  const auto der = Certificate::from_der("\x30\x03\x02\x01\x01");
  REQUIRE_FALSE(der);
  CHECK_THAT(der.error(), Catch::Contains("not a DER certificate"));

  SmallPki pki;
  const auto trailing = Certificate::from_der(pki.root.certificate().der() + "x");
  REQUIRE_FALSE(trailing);
  CHECK_THAT(trailing.error(), Catch::Contains("trailing bytes"));
}

TEST_CASE("a certificate's fields read back", "[x509]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  CHECK(leaf.subject() == "CN=CS001,O=Test Org");
  CHECK(leaf.subject_cn() == "CS001");
  CHECK(leaf.subject_organization() == "Test Org");
  CHECK(leaf.issuer_cn() == "Test Sub-CA");
  CHECK(leaf.serial_hex().size() == 32);  // 16 bytes, the first one 0x40..0x7f
  CHECK(leaf.serial_hex().find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(std::abs(leaf.not_before() - (now_seconds() - 300)) < 60);
  CHECK(std::abs(leaf.not_after() - (now_seconds() + 24 * 3600)) < 60);
  CHECK_FALSE(leaf.is_ca());
  CHECK(pki.sub.certificate().is_ca());
  CHECK(pki.root.certificate().self_signed());
  CHECK_FALSE(pki.sub.certificate().self_signed());
  CHECK(leaf.signed_by(pki.sub.certificate()));
  CHECK_FALSE(leaf.signed_by(pki.root.certificate()));
  CHECK_FALSE(leaf.ocsp_url());
  CHECK(leaf.public_key_der().size() > 60);

  const Certificate from_pem = must(Certificate::from_pem(leaf.pem()));
  CHECK(from_pem == leaf);
  CHECK(must(Certificate::from_der(leaf.der())) == leaf);
  CHECK_FALSE(from_pem == pki.sub.certificate());
}

TEST_CASE("the OCSP URL is read from authorityInfoAccess", "[x509]") {
  SmallPki pki;
  IssueOptions options;
  options.ocsp_url = "http://ocsp.example/check,with-comma";
  const Certificate cert = must(pki.sub.issue(must(PrivateKey::generate_p256()), "CS002", "", options));
  REQUIRE(cert.ocsp_url());
  CHECK(*cert.ocsp_url() == "http://ocsp.example/check,with-comma");
  CHECK(cert.subject() == "CN=CS002");
  CHECK(cert.subject_organization().empty());
}

TEST_CASE("PEM bundles parse in order and damaged ones fail", "[x509]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const std::string bundle = to_pem_chain({leaf, pki.sub.certificate(), pki.root.certificate()});
  const auto chain = must(parse_pem_chain(bundle));
  REQUIRE(chain.size() == 3);
  CHECK(chain[0] == leaf);
  CHECK(chain[1] == pki.sub.certificate());
  CHECK(chain[2] == pki.root.certificate());

  // A key block in between is skipped.
  const auto with_key =
      must(parse_pem_chain(leaf.pem() + must(PrivateKey::generate_p256()).pem() + pki.root.certificate().pem()));
  CHECK(with_key.size() == 2);

  const auto empty = parse_pem_chain("nothing here");
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error(), Catch::Contains("no PEM certificate"));

  std::string damaged = leaf.pem() + pki.root.certificate().pem();
  damaged.erase(leaf.pem().size() + 100, 40);
  const auto broken = parse_pem_chain(damaged);
  REQUIRE_FALSE(broken);
  CHECK_THAT(broken.error(), Catch::Contains("1 certificate(s)") || Catch::Contains("certificate 2"));
}

TEST_CASE("digests and base64url", "[x509]") {
  CHECK(hex_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_digest("abc", "SHA384").size() == 96);
  CHECK(hex_digest("abc", "sha512").size() == 128);
  CHECK(hex_digest("abc", "MD5").empty());
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("ab") == "YWI");

  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  unsigned char raw[32];
  unsigned int length = 0;
  const std::string der = leaf.der();
  REQUIRE(EVP_Digest(der.data(), der.size(), raw, &length, EVP_sha256(), nullptr) == 1);
  const std::string expected = base64url_encode(std::string(reinterpret_cast<const char*>(raw), length));
  CHECK(leaf.sha256_hash() == expected);
  CHECK(leaf.sha256_hash().size() == 43);
  CHECK(leaf.sha256_hash().find_first_of("+/=") == std::string::npos);
}

TEST_CASE("hash data matches the CertID OpenSSL computes", "[x509]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  for (const char* algorithm : {"SHA256", "SHA384", "SHA512"}) {
    const EVP_MD* md = EVP_get_digestbyname(algorithm);
    REQUIRE(md);
    OCSP_CERTID* id = OCSP_cert_to_id(md, leaf.get(), pki.sub.certificate().get());
    REQUIRE(id);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    REQUIRE(OCSP_id_get0_info(&name_hash, nullptr, &key_hash, &serial, id) == 1);
    const CertificateHashData data = leaf.hash_data(pki.sub.certificate(), algorithm);
    CHECK(data.hash_algorithm == algorithm);
    CHECK(data.issuer_name_hash == hex_of(name_hash));
    CHECK(data.issuer_key_hash == hex_of(key_hash));
    CHECK(data.serial_number == leaf.serial_hex());
    OCSP_CERTID_free(id);
  }
}

TEST_CASE("hash data comparison ignores case and leading zeros", "[x509]") {
  CertificateHashData a{"SHA256", "ab12", "cd34", "0f"};
  CertificateHashData b{"sha256", "AB12", "CD34", "000F"};
  CHECK(a.same_as(b));
  b.serial_number = "10";
  CHECK_FALSE(a.same_as(b));
  b = {"SHA256", "ab12", "cd35", "f"};
  CHECK_FALSE(a.same_as(b));
  b = {"SHA384", "ab12", "cd34", "f"};
  CHECK_FALSE(a.same_as(b));
}
