// Chain verification and the verdicts OCPP distinguishes.

#include "pki/verify.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::now_seconds;
using evbroker::pki::test::SmallPki;

namespace {
VerifyOptions full_chain() {
  VerifyOptions options;
  options.partial_chain = false;
  return options;
}
}  // namespace

TEST_CASE("a valid path verifies, leaf first and anchor last", "[verify]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const ChainVerification result = verify_chain(leaf, {pki.sub.certificate()}, {pki.root.certificate()}, full_chain());
  CHECK(result.verdict == ChainVerdict::valid);
  CHECK(std::string(to_string(result.verdict)) == "valid");
  REQUIRE(result.path.size() == 3);
  CHECK(result.path[0] == leaf);
  CHECK(result.path[1] == pki.sub.certificate());
  CHECK(result.path[2] == pki.root.certificate());

  // Unrelated intermediates are ignored.
  SmallPki other;
  CHECK(verify_chain(leaf, {other.sub.certificate(), pki.sub.certificate()}, {pki.root.certificate()}).verdict ==
        ChainVerdict::valid);
}

TEST_CASE("an expired leaf, an expired CA and a not yet valid leaf are expired", "[verify]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001", CertificateProfile::charging_station, std::chrono::seconds(1));
  VerifyOptions later = full_chain();
  later.at = now_seconds() + 24 * 3600;
  const ChainVerification expired = verify_chain(leaf, {pki.sub.certificate()}, {pki.root.certificate()}, later);
  CHECK(expired.verdict == ChainVerdict::expired);
  CHECK(std::string(to_string(expired.verdict)) == "expired");
  CHECK_THAT(expired.detail, Catch::Contains("expired") && Catch::Contains("CN=CS001"));
  CHECK(expired.path.empty());

  VerifyOptions earlier = full_chain();
  earlier.at = now_seconds() - 24 * 3600;
  CHECK(verify_chain(pki.leaf("CS002"), {pki.sub.certificate()}, {pki.root.certificate()}, earlier).verdict ==
        ChainVerdict::expired);

  // A CA in the path that has expired (the leaf is capped to it, so check the CA's own error).
  const CertificateAuthority short_sub =
      must(pki.root.create_sub_ca("Short Sub-CA", "Org", std::chrono::seconds(1), 0));
  IssueOptions options;
  const Certificate under_short = must(short_sub.issue(must(PrivateKey::generate_p256()), "CS003", "", options));
  const ChainVerification ca_expired =
      verify_chain(under_short, {short_sub.certificate()}, {pki.root.certificate()}, later);
  CHECK(ca_expired.verdict == ChainVerdict::expired);
  CHECK_THAT(ca_expired.detail, Catch::Contains("Short Sub-CA"));
}

TEST_CASE("a tampered signature is a signature error", "[verify]") {
  SmallPki pki;
  std::string der = pki.leaf("CS001").der();
  der.back() = static_cast<char>(der.back() ^ 0x01);  // the last byte belongs to the signature value
  const Certificate tampered = must(Certificate::from_der(der));
  const ChainVerification result = verify_chain(tampered, {pki.sub.certificate()}, {pki.root.certificate()});
  CHECK(result.verdict == ChainVerdict::signature_error);
  CHECK(std::string(to_string(result.verdict)) == "signature_error");
  CHECK_THAT(result.detail, Catch::Contains("signature"));
}

TEST_CASE("an unknown issuer or a missing intermediate is a chain error", "[verify]") {
  SmallPki pki;
  SmallPki other;
  const Certificate leaf = pki.leaf("CS001");
  const ChainVerification unknown = verify_chain(leaf, {pki.sub.certificate()}, {other.root.certificate()});
  CHECK(unknown.verdict == ChainVerdict::chain_error);
  CHECK(std::string(to_string(unknown.verdict)) == "chain_error");
  CHECK_FALSE(unknown.detail.empty());
  CHECK(verify_chain(leaf, {}, {pki.root.certificate()}).verdict == ChainVerdict::chain_error);
  CHECK(verify_chain(leaf, {pki.sub.certificate()}, {}).verdict == ChainVerdict::chain_error);
  // A self-signed certificate is not trusted just because it is self-signed.
  CHECK(verify_chain(other.root.certificate(), {}, {pki.root.certificate()}).verdict == ChainVerdict::chain_error);
}

TEST_CASE("a sub-CA as the only anchor needs partial chains", "[verify]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  VerifyOptions partial;
  partial.partial_chain = true;
  const ChainVerification result = verify_chain(leaf, {}, {pki.sub.certificate()}, partial);
  CHECK(result.verdict == ChainVerdict::valid);
  REQUIRE(result.path.size() == 2);
  CHECK(result.path[1] == pki.sub.certificate());
  CHECK(verify_chain(leaf, {}, {pki.sub.certificate()}, full_chain()).verdict == ChainVerdict::chain_error);
}

TEST_CASE("a CA certificate whose pathlen is exceeded is a chain error", "[verify]") {
  SmallPki pki;  // the sub-CA has pathlen 0
  const CertificateAuthority below = must(pki.sub.create_sub_ca("Too Deep", "Org", std::chrono::hours(24), 0));
  const Certificate leaf = must(below.issue(must(PrivateKey::generate_p256()), "CS001", "", IssueOptions{}));
  CHECK(verify_chain(leaf, {below.certificate(), pki.sub.certificate()}, {pki.root.certificate()}, full_chain())
            .verdict == ChainVerdict::chain_error);
}
