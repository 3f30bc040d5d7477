// OCSP requests from hash data, responses from the responder side, and their verification.

#include "pki/ocsp.hpp"

#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "helpers.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::now_seconds;
using evbroker::pki::test::SmallPki;

namespace {

OCSP_REQUEST* decode_request(const std::string& der) {
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  return d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size()));
}

/// A responder knowing one revoked and one good serial; everything else is unknown.
struct Responder {
  std::string good_serial;
  std::string revoked_serial;
  OcspCertStatus operator()(const CertificateHashData& id) const {
    if (id.serial_number == good_serial) return OcspCertStatus::good;
    if (id.serial_number == revoked_serial) return OcspCertStatus::revoked;
    return OcspCertStatus::unknown;
  }
};

}  // namespace

TEST_CASE("an OCSP request made from hash data names the same CertID as OpenSSL", "[ocsp]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  for (const char* algorithm : {"SHA256", "SHA384", "SHA512"}) {
    const std::string der = must(make_ocsp_request(leaf.hash_data(pki.sub.certificate(), algorithm)));
    OCSP_REQUEST* request = decode_request(der);
    REQUIRE(request);
    REQUIRE(OCSP_request_onereq_count(request) == 1);
    OCSP_CERTID* expected = OCSP_cert_to_id(EVP_get_digestbyname(algorithm), leaf.get(), pki.sub.certificate().get());
    CHECK(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(request, 0)), expected) == 0);
    CHECK(OCSP_REQUEST_get_ext_by_NID(request, NID_id_pkix_OCSP_Nonce, -1) >= 0);
    OCSP_CERTID_free(expected);
    OCSP_REQUEST_free(request);
  }
}

TEST_CASE("malformed hash data cannot make a request", "[ocsp]") {
  SmallPki pki;
  CertificateHashData id = pki.leaf("CS001").hash_data(pki.sub.certificate());
  CertificateHashData bad = id;
  bad.hash_algorithm = "MD5";
  CHECK_THAT(make_ocsp_request(bad).error(), Catch::Contains("unsupported hash algorithm"));
  bad = id;
  bad.issuer_name_hash = "abcd";
  CHECK_THAT(make_ocsp_request(bad).error(), Catch::Contains("issuerNameHash"));
  bad = id;
  bad.issuer_key_hash.back() = 'x';
  CHECK_THAT(make_ocsp_request(bad).error(), Catch::Contains("issuerKeyHash"));
  bad = id;
  bad.serial_number = "12g4";
  CHECK_THAT(make_ocsp_request(bad).error(), Catch::Contains("serialNumber"));
}

TEST_CASE("good, revoked and unknown round trip through request and response", "[ocsp]") {
  SmallPki pki;
  const Certificate good = pki.leaf("good");
  const Certificate revoked = pki.leaf("revoked");
  const Certificate unknown = pki.leaf("unknown");
  const Responder responder{good.serial_hex(), revoked.serial_hex()};

  struct Case {
    const Certificate* cert;
    OcspCertStatus status;
  };
  for (const Case& c : {Case{&good, OcspCertStatus::good}, Case{&revoked, OcspCertStatus::revoked},
                        Case{&unknown, OcspCertStatus::unknown}}) {
    const CertificateHashData id = c.cert->hash_data(pki.sub.certificate());
    const std::string request = must(make_ocsp_request(id));
    const std::string response = must(make_ocsp_response(request, pki.sub, responder));
    // Signed by the issuing CA: trusted with the sub-CA alone or with the root.
    for (const auto& trust :
         {std::vector<Certificate>{pki.sub.certificate()}, std::vector<Certificate>{pki.root.certificate()}}) {
      const OcspAnswer answer = must(parse_ocsp_response(response, id, trust));
      CHECK(answer.status == c.status);
      CHECK(std::abs(answer.this_update - now_seconds()) < 60);
      CHECK(answer.next_update == answer.this_update + 3600);
      CHECK((answer.revoked_at != 0) == (c.status == OcspCertStatus::revoked));
    }
  }
  CHECK(std::string(to_string(OcspCertStatus::good)) == "good");
  CHECK(std::string(to_string(OcspCertStatus::revoked)) == "revoked");
  CHECK(std::string(to_string(OcspCertStatus::unknown)) == "unknown");
}

TEST_CASE("the response echoes the request's nonce", "[ocsp]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const std::string request_der = must(make_ocsp_request(leaf.hash_data(pki.sub.certificate())));
  const std::string response_der =
      must(make_ocsp_response(request_der, pki.sub, [](const CertificateHashData&) { return OcspCertStatus::good; }));
  OCSP_REQUEST* request = decode_request(request_der);
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(response_der.data());
  OCSP_RESPONSE* response = d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response_der.size()));
  REQUIRE(request);
  REQUIRE(response);
  OCSP_BASICRESP* basic = OCSP_response_get1_basic(response);
  REQUIRE(basic);
  CHECK(OCSP_check_nonce(request, basic) == 1);
  OCSP_BASICRESP_free(basic);
  OCSP_RESPONSE_free(response);
  OCSP_REQUEST_free(request);
}

TEST_CASE("a delegated OCSP signer is accepted only with OCSPSigning", "[ocsp]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const CertificateHashData id = leaf.hash_data(pki.sub.certificate());
  const std::string request = must(make_ocsp_request(id));
  auto status = [](const CertificateHashData&) { return OcspCertStatus::good; };

  const PrivateKey delegate_key = must(PrivateKey::generate_p256());
  IssueOptions options;
  options.profile = CertificateProfile::ocsp_signer;
  const CertificateAuthority delegate(
      {must(pki.sub.issue(delegate_key, "OCSP Signer", "Org", options)), pki.sub.certificate(), pki.root.certificate()},
      delegate_key);
  const std::string response = must(make_ocsp_response(request, delegate, status));
  CHECK(must(parse_ocsp_response(response, id, {pki.sub.certificate()})).status == OcspCertStatus::good);
  CHECK(must(parse_ocsp_response(response, id, {pki.root.certificate()})).status == OcspCertStatus::good);

  options.profile = CertificateProfile::charging_station;
  const CertificateAuthority impostor({must(pki.sub.issue(delegate_key, "Not a signer", "Org", options)),
                                       pki.sub.certificate(), pki.root.certificate()},
                                      delegate_key);
  const auto rejected =
      parse_ocsp_response(must(make_ocsp_response(request, impostor, status)), id, {pki.sub.certificate()});
  REQUIRE_FALSE(rejected);
  CHECK_THAT(rejected.error(), Catch::Contains("signature does not verify"));
}

TEST_CASE("a response signed by another CA is rejected", "[ocsp]") {
  SmallPki pki;
  SmallPki other;
  const CertificateHashData id = pki.leaf("CS001").hash_data(pki.sub.certificate());
  const std::string response = must(make_ocsp_response(
      must(make_ocsp_request(id)), other.sub, [](const CertificateHashData&) { return OcspCertStatus::good; }));
  const auto untrusted = parse_ocsp_response(response, id, {pki.sub.certificate()});
  REQUIRE_FALSE(untrusted);
  CHECK_THAT(untrusted.error(), Catch::Contains("signature does not verify"));
  // Trusting the other CA does not help: it is not the issuer of the certificate asked about.
  const auto not_issuer = parse_ocsp_response(response, id, {other.sub.certificate()});
  REQUIRE_FALSE(not_issuer);
  CHECK_THAT(not_issuer.error(), Catch::Contains("signature does not verify"));
}

TEST_CASE("a response about another serial is rejected", "[ocsp]") {
  SmallPki pki;
  const CertificateHashData asked = pki.leaf("CS001").hash_data(pki.sub.certificate());
  const CertificateHashData answered = pki.leaf("CS002").hash_data(pki.sub.certificate());
  const std::string response = must(make_ocsp_response(
      must(make_ocsp_request(answered)), pki.sub, [](const CertificateHashData&) { return OcspCertStatus::good; }));
  const auto result = parse_ocsp_response(response, asked, {pki.sub.certificate()});
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error(), Catch::Contains("does not answer for serial " + asked.serial_number));
}

TEST_CASE("unsuccessful, damaged and unparseable OCSP messages give clear reasons", "[ocsp]") {
  SmallPki pki;
  const CertificateHashData id = pki.leaf("CS001").hash_data(pki.sub.certificate());
  OCSP_RESPONSE* try_later = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr);
  REQUIRE(try_later);
  const unsigned char* cursor = nullptr;
  const int length = i2d_OCSP_RESPONSE(try_later, nullptr);
  std::string der(static_cast<std::size_t>(length), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_OCSP_RESPONSE(try_later, &out);
  OCSP_RESPONSE_free(try_later);
  CHECK_THAT(parse_ocsp_response(der, id, {pki.sub.certificate()}).error(), Catch::Contains("trylater"));

  CHECK_THAT(parse_ocsp_response("garbage", id, {pki.sub.certificate()}).error(),
             Catch::Contains("not a DER OCSP response"));
  CHECK_THAT(
      make_ocsp_response("garbage", pki.sub, [](const CertificateHashData&) { return OcspCertStatus::good; }).error(),
      Catch::Contains("not a DER OCSP request"));

  std::string response = must(make_ocsp_response(must(make_ocsp_request(id)), pki.sub,
                                                 [](const CertificateHashData&) { return OcspCertStatus::good; }));
  // Flip a byte of the response's own signature (found by its bytes in the DER).
  cursor = reinterpret_cast<const unsigned char*>(response.data());
  OCSP_RESPONSE* decoded = d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response.size()));
  REQUIRE(decoded);
  OCSP_BASICRESP* basic = OCSP_response_get1_basic(decoded);
  REQUIRE(basic);
  const ASN1_BIT_STRING* signature = OCSP_resp_get0_signature(basic);
  const std::string signature_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(signature)),
                                    static_cast<std::size_t>(ASN1_STRING_length(signature)));
  OCSP_BASICRESP_free(basic);
  OCSP_RESPONSE_free(decoded);
  const std::size_t at = response.find(signature_bytes);
  REQUIRE(at != std::string::npos);
  response[at + signature_bytes.size() - 1] ^= 0x01;
  const auto tampered = parse_ocsp_response(response, id, {pki.sub.certificate()});
  REQUIRE_FALSE(tampered);
  CHECK_THAT(tampered.error(), Catch::Contains("signature does not verify"));
}

TEST_CASE("with hash data only, a response signed by the issuer the CertID names is accepted", "[ocsp]") {
  // A station that checked the chain itself sends only hash data; the node then has no issuer
  // certificate to trust, and the issuer's own signature (name and key hash match) is the proof.
  SmallPki pki;
  const CertificateHashData id = pki.leaf("CS001").hash_data(pki.sub.certificate());
  const std::string response = must(make_ocsp_response(
      must(make_ocsp_request(id)), pki.sub, [](const CertificateHashData&) { return OcspCertStatus::revoked; }));
  const auto answer = parse_ocsp_response(response, id, {});
  REQUIRE(answer);
  CHECK(answer->status == OcspCertStatus::revoked);

  // Same issuer name, another key: not the issuer the CertID names.
  const CertificateAuthority impostor =
      must(pki.root.create_sub_ca("Test Sub-CA", "Test Org", std::chrono::hours(24), 0));
  const std::string forged = must(make_ocsp_response(must(make_ocsp_request(id)), impostor,
                                                     [](const CertificateHashData&) { return OcspCertStatus::good; }));
  CHECK_FALSE(parse_ocsp_response(forged, id, {}));
}
