// EST bodies: base64 PKCS#10 requests and base64 PKCS#7 certs-only responses.

#include "pki/est.hpp"

#include <openssl/pkcs7.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "helpers.hpp"
#include "pki/password.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::SmallPki;

namespace {
std::string without_newlines(std::string text) {
  std::erase(text, '\n');
  return text;
}
}  // namespace

TEST_CASE("the simpleenroll body is the CSR's DER in 64-column base64", "[est]") {
  const CertificateRequest csr = must(make_csr(must(PrivateKey::generate_p256()), "CS001", "Example"));
  const std::string body = est_request_body(csr);
  std::istringstream lines(body);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    CHECK(line.size() <= 64);
    ++count;
  }
  CHECK(count >= 2);
  std::string der;
  REQUIRE(base64_decode(without_newlines(body), der));
  CHECK(der == csr.der());
  CHECK(must(CertificateRequest::from_pem(body)).der() == csr.der());
}

TEST_CASE("a certs-only PKCS#7 round trips, leaf first", "[est]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const std::vector<Certificate> chain{leaf, pki.sub.certificate(), pki.root.certificate()};
  const std::string body = must(make_est_certificates(chain));
  CHECK(body.find("-----") == std::string::npos);

  std::string der;
  REQUIRE(base64_decode(without_newlines(body), der));
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &cursor, static_cast<long>(der.size()));
  REQUIRE(p7);
  CHECK(PKCS7_type_is_signed(p7));
  CHECK(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)) == 0);
  PKCS7_free(p7);

  const auto parsed = must(parse_est_certificates(body));
  REQUIRE(parsed.size() == 3);
  CHECK(parsed[0] == leaf);
  CHECK(parsed[1] == pki.sub.certificate());
  CHECK(parsed[2] == pki.root.certificate());

  // A server that lists the chain in another order still yields the leaf first.
  const auto shuffled =
      must(parse_est_certificates(must(make_est_certificates({pki.root.certificate(), leaf, pki.sub.certificate()}))));
  REQUIRE(shuffled.size() == 3);
  CHECK(shuffled[0] == leaf);
  CHECK(shuffled[1] == pki.sub.certificate());
  CHECK(shuffled[2] == pki.root.certificate());

  // Whitespace of any kind is tolerated.
  std::string spaced = body;
  spaced.insert(10, " \r\n\t");
  CHECK(must(parse_est_certificates(spaced)).size() == 3);
}

TEST_CASE("EST bodies may be PEM bundles or PEM PKCS#7", "[est]") {
  SmallPki pki;
  const Certificate leaf = pki.leaf("CS001");
  const auto bundle = must(parse_est_certificates(to_pem_chain({leaf, pki.sub.certificate()})));
  REQUIRE(bundle.size() == 2);
  CHECK(bundle[0] == leaf);

  const std::string body = must(make_est_certificates({leaf}));
  const std::string pem = "-----BEGIN PKCS7-----\n" + body + "-----END PKCS7-----\n";
  const auto from_pem = must(parse_est_certificates(pem));
  REQUIRE(from_pem.size() == 1);
  CHECK(from_pem[0] == leaf);
}

TEST_CASE("EST bodies that are not certificates give a clear reason", "[est]") {
  const auto not_base64 = parse_est_certificates("%%%");
  REQUIRE_FALSE(not_base64);
  CHECK_THAT(not_base64.error(), Catch::Contains("not base64"));
  const auto not_pkcs7 = parse_est_certificates(base64_encode("hello world!"));
  REQUIRE_FALSE(not_pkcs7);
  CHECK_THAT(not_pkcs7.error(), Catch::Contains("not a DER PKCS#7"));
  const auto empty = parse_est_certificates(must(make_est_certificates({})));
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error(), Catch::Contains("no certificate"));
}
