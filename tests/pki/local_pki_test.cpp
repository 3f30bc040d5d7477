// The local PKI on disk: first start, reopening, file modes, damaged files, issuing, rotation and
// recovery from an interrupted write.

#include "pki/local_pki.hpp"

#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "helpers.hpp"
#include "pki/verify.hpp"

using namespace evbroker::pki;
using evbroker::pki::test::must;
using evbroker::pki::test::TempDir;

namespace {

const char* const part_names[] = {"csms-root", "csms-server",      "csms-server-rsa", "cpo-sub-ca",
                                  "v2g-root",  "v2g-cpo-sub-ca-1", "v2g-cpo-sub-ca-2"};

LocalPki open(const std::string& dir, bool* created = nullptr) {
  return must(LocalPki::open_or_create(dir, LocalPkiOptions{}, created));
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

VerifyOptions partial() {
  VerifyOptions options;
  options.partial_chain = true;
  return options;
}

VerifyOptions full() {
  VerifyOptions options;
  options.partial_chain = false;
  return options;
}

}  // namespace

TEST_CASE("the first start creates the PKI and the next one loads the same", "[local_pki]") {
  TempDir tmp;
  const std::string dir = tmp / "data/pki";
  bool created = false;
  const LocalPki first = open(dir, &created);
  CHECK(created);
  for (const char* name : part_names) {
    CHECK(std::filesystem::exists(dir + "/" + name + ".crt"));
    CHECK(mode_of(dir + "/" + name + ".key") == 0600);
  }
  CHECK(mode_of(dir) == 0700);
  CHECK(first.dir() == dir);
  CHECK(first.server_chain_path() == dir + "/csms-server.crt");
  CHECK(first.server_key_path() == dir + "/csms-server.key");
  CHECK(first.rsa_server_chain_path() == dir + "/csms-server-rsa.crt");
  CHECK(first.rsa_server_key_path() == dir + "/csms-server-rsa.key");
  // Nothing of the write transaction is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    CHECK(name.find(".next") == std::string::npos);
    CHECK(name != "transaction.commit");
  }

  const LocalPki again = open(dir, &created);
  CHECK_FALSE(created);
  CHECK(again.csms_root().certificate() == first.csms_root().certificate());
  CHECK(again.cpo_sub_ca().certificate() == first.cpo_sub_ca().certificate());
  CHECK(again.v2g_root().certificate() == first.v2g_root().certificate());
  CHECK(again.v2g_signing_ca().certificate() == first.v2g_signing_ca().certificate());
  CHECK(again.cpo_sub_ca().key().pem() == first.cpo_sub_ca().key().pem());
  CHECK(again.v2g_signing_ca().chain().size() == 3);
  CHECK(again.cpo_sub_ca().chain().size() == 2);
}

TEST_CASE("the CAs and the server certificate have the documented shape", "[local_pki]") {
  TempDir tmp;
  const LocalPki pki = open(tmp.path());
  CHECK(pki.csms_root().certificate().self_signed());
  CHECK(pki.v2g_root().certificate().self_signed());
  CHECK(X509_get_pathlen(pki.cpo_sub_ca().certificate().get()) == 0);
  CHECK(X509_get_pathlen(pki.v2g_signing_ca().chain()[1].get()) == 1);
  CHECK(X509_get_pathlen(pki.v2g_signing_ca().certificate().get()) == 0);
  CHECK(pki.cpo_sub_ca().certificate().subject_organization() == "evbroker");

  const auto server_chain = must(parse_pem_chain(read(pki.server_chain_path())));
  REQUIRE(server_chain.size() == 1);  // the server certificate alone
  const Certificate& server = server_chain[0];
  CHECK(verify_chain(server, {}, {pki.csms_root().certificate()}, full()).verdict == ChainVerdict::valid);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
  CHECK(X509_get_extended_key_usage(server.get()) == XKU_SSL_SERVER);
  CHECK(server.public_key_der() == must(PrivateKey::from_pem(read(pki.server_key_path()))).public_key_der());
  CHECK(server.key_type() == KeyType::ec);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(server.get())) == 256);
}

TEST_CASE("the RSA server certificate has the ECDSA one's names under the same root", "[local_pki]") {
  TempDir tmp;
  LocalPkiOptions options;
  options.server_dns_names = {"localhost", "csms.example"};
  const LocalPki pki = must(LocalPki::open_or_create(tmp.path(), options, nullptr));
  const auto chain = must(parse_pem_chain(read(pki.rsa_server_chain_path())));
  REQUIRE(chain.size() == 1);  // the server certificate alone, as for the ECDSA one
  const Certificate& rsa = chain[0];
  const Certificate ecdsa = must(Certificate::from_pem(read(pki.server_chain_path())));
  CHECK(rsa.key_type() == KeyType::rsa);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(rsa.get())) >= 2048);
  CHECK(verify_chain(rsa, {}, {pki.csms_root().certificate()}, full()).verdict == ChainVerdict::valid);
  CHECK(rsa.subject() == ecdsa.subject());
  for (const char* host : {"localhost", "csms.example"}) {
    CAPTURE(host);
    CHECK(X509_check_host(rsa.get(), host, 0, 0, nullptr) == 1);
  }
  for (const char* ip : {"127.0.0.1", "::1"}) {
    CAPTURE(ip);
    CHECK(X509_check_ip_asc(rsa.get(), ip, 0) == 1);
  }
  CHECK(X509_get_extended_key_usage(rsa.get()) == XKU_SSL_SERVER);
  CHECK(X509_get_key_usage(rsa.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  CHECK(rsa.public_key_der() == must(PrivateKey::from_pem(read(pki.rsa_server_key_path()))).public_key_der());
  CHECK(mode_of(pki.rsa_server_key_path()) == 0600);
  CHECK(mode_of(pki.rsa_server_chain_path()) == 0644);
}

TEST_CASE("a PKI from before the RSA server certificate gets one, the rest untouched", "[local_pki]") {
  TempDir tmp;
  open(tmp.path());
  std::filesystem::remove(tmp / "csms-server-rsa.crt");
  std::filesystem::remove(tmp / "csms-server-rsa.key");
  std::map<std::string, std::string> before;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
    before[entry.path().filename().string()] = read(entry.path().string());

  bool created = false;
  const LocalPki upgraded = open(tmp.path(), &created);
  CHECK(created);
  for (const auto& [name, content] : before) {
    CAPTURE(name);
    CHECK(read(tmp / name) == content);
  }
  const Certificate rsa = must(Certificate::from_pem(read(upgraded.rsa_server_chain_path())));
  CHECK(rsa.key_type() == KeyType::rsa);
  CHECK(rsa.signed_by(upgraded.csms_root().certificate()));
  CHECK(mode_of(upgraded.rsa_server_key_path()) == 0600);

  // Made once: the next start finds it.
  open(tmp.path(), &created);
  CHECK_FALSE(created);
  CHECK(must(Certificate::from_pem(read(upgraded.rsa_server_chain_path()))) == rsa);
}

TEST_CASE("a server certificate of the wrong key type gives a clear error", "[local_pki]") {
  TempDir tmp;
  open(tmp.path());
  write(tmp / "csms-server-rsa.crt", read(tmp / "csms-server.crt"));
  write(tmp / "csms-server-rsa.key", read(tmp / "csms-server.key"));
  auto wrong = LocalPki::open_or_create(tmp.path(), {}, nullptr);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error(), Catch::Contains(tmp / "csms-server-rsa.crt") && Catch::Contains("holds an ECDSA key") &&
                                Catch::Contains("RSA server certificate"));
}

TEST_CASE("damaged or inconsistent files give a clear error", "[local_pki]") {
  TempDir tmp;
  open(tmp.path());
  const std::string key_path = tmp / "cpo-sub-ca.key";
  const std::string good_key = read(key_path);

  write(key_path, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  auto corrupted = LocalPki::open_or_create(tmp.path(), {}, nullptr);
  REQUIRE_FALSE(corrupted);
  CHECK_THAT(corrupted.error(), Catch::Contains(key_path) && Catch::Contains("not a PEM private key"));

  write(key_path, read(tmp / "v2g-root.key"));
  auto mismatched = LocalPki::open_or_create(tmp.path(), {}, nullptr);
  REQUIRE_FALSE(mismatched);
  CHECK_THAT(mismatched.error(), Catch::Contains("does not hold the key of"));

  write(key_path, good_key);
  const std::string crt_path = tmp / "v2g-cpo-sub-ca-2.crt";
  const std::string good_crt = read(crt_path);
  write(crt_path, read(tmp / "cpo-sub-ca.crt"));
  write(tmp / "v2g-cpo-sub-ca-2.key", good_key);
  auto wrong_parent = LocalPki::open_or_create(tmp.path(), {}, nullptr);
  REQUIRE_FALSE(wrong_parent);
  CHECK_THAT(wrong_parent.error(), Catch::Contains("was not issued by"));

  std::filesystem::remove(crt_path);
  auto missing = LocalPki::open_or_create(tmp.path(), {}, nullptr);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error(), Catch::Contains(crt_path + " is missing"));
}

TEST_CASE("station certificates chain to station_trust with CN = station id", "[local_pki]") {
  TempDir tmp;
  const LocalPki pki = open(tmp.path());
  const auto [cert, key] = must(pki.issue_station_certificate("CS001"));
  CHECK(cert.subject_cn() == "CS001");
  CHECK(cert.public_key_der() == key.public_key_der());
  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_CLIENT);
  CHECK(verify_chain(cert, {}, pki.station_trust(), partial()).verdict == ChainVerdict::valid);

  const auto bundle = must(parse_pem_chain(read(pki.station_trust_path())));
  REQUIRE(bundle.size() == 1);
  CHECK(bundle[0] == pki.cpo_sub_ca().certificate());

  const auto chain = must(pki.sign_charging_station(must(make_csr(must(PrivateKey::generate_p256()), "CS002"))));
  REQUIRE(chain.size() == 2);
  CHECK(chain[0].subject_cn() == "CS002");
  CHECK(chain[1] == pki.cpo_sub_ca().certificate());
  CHECK(verify_chain(chain[0], {chain[1]}, {pki.csms_root().certificate()}, full()).verdict == ChainVerdict::valid);
}

TEST_CASE("V2G certificates chain to the V2G root", "[local_pki]") {
  TempDir tmp;
  const LocalPki pki = open(tmp.path());
  const auto chain = must(pki.sign_v2g(must(make_csr(must(PrivateKey::generate_p256()), "SECC001", "CPO"))));
  REQUIRE(chain.size() == 3);
  CHECK(chain[0].subject() == "CN=SECC001,O=CPO");
  CHECK(X509_get_key_usage(chain[0].get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT));
  CHECK(chain[1] == pki.v2g_signing_ca().certificate());
  const ChainVerification result = verify_chain(chain[0], {chain[1], chain[2]}, {pki.v2g_root().certificate()}, full());
  CHECK(result.verdict == ChainVerdict::valid);
  CHECK(result.path.size() == 4);
  CHECK(verify_chain(chain[0], {chain[1], chain[2]}, {pki.csms_root().certificate()}, full()).verdict ==
        ChainVerdict::chain_error);
}

TEST_CASE("rotating the CPO sub-CA keeps old station certificates trusted", "[local_pki]") {
  TempDir tmp;
  LocalPki pki = open(tmp.path());
  const Certificate old_sub = pki.cpo_sub_ca().certificate();
  const Certificate old_station = must(pki.issue_station_certificate("CS001")).first;

  REQUIRE(must(pki.rotate(RotateWhat::cpo)) == nullptr);
  CHECK_FALSE(pki.cpo_sub_ca().certificate() == old_sub);
  CHECK(pki.cpo_sub_ca().certificate().signed_by(pki.csms_root().certificate()));
  REQUIRE(pki.station_trust().size() == 2);
  CHECK(verify_chain(old_station, {}, pki.station_trust(), partial()).verdict == ChainVerdict::valid);

  const Certificate new_station = must(pki.issue_station_certificate("CS001")).first;
  CHECK(new_station.signed_by(pki.cpo_sub_ca().certificate()));
  CHECK_FALSE(new_station.signed_by(old_sub));
  CHECK(verify_chain(new_station, {}, pki.station_trust(), partial()).verdict == ChainVerdict::valid);

  // The files say the same after a restart.
  const LocalPki reopened = open(tmp.path());
  CHECK(reopened.cpo_sub_ca().certificate() == pki.cpo_sub_ca().certificate());
  REQUIRE(reopened.station_trust().size() == 2);
  CHECK(reopened.station_trust()[1] == old_sub);
  CHECK(must(parse_pem_chain(read(reopened.station_trust_path()))).size() == 2);
  CHECK(std::filesystem::exists(tmp / "cpo-sub-ca.previous.crt"));
}

TEST_CASE("rotating everything renews the server and V2G sub-CAs under the same roots", "[local_pki]") {
  TempDir tmp;
  LocalPki pki = open(tmp.path());
  const Certificate root = pki.csms_root().certificate();
  const Certificate v2g_root = pki.v2g_root().certificate();
  const Certificate v2g_signer = pki.v2g_signing_ca().certificate();
  const std::string server_before = read(pki.server_chain_path());
  const std::string server_key_before = read(pki.server_key_path());
  const std::string rsa_server_before = read(pki.rsa_server_chain_path());
  const std::string rsa_server_key_before = read(pki.rsa_server_key_path());

  must(pki.rotate(RotateWhat::all));
  CHECK(pki.csms_root().certificate() == root);
  CHECK(pki.v2g_root().certificate() == v2g_root);
  CHECK_FALSE(pki.v2g_signing_ca().certificate() == v2g_signer);
  CHECK(read(pki.server_chain_path()) != server_before);
  CHECK(read(pki.server_key_path()) != server_key_before);
  CHECK(mode_of(pki.server_key_path()) == 0600);
  CHECK(read(pki.rsa_server_chain_path()) != rsa_server_before);
  CHECK(read(pki.rsa_server_key_path()) != rsa_server_key_before);
  CHECK(mode_of(pki.rsa_server_key_path()) == 0600);

  const auto chain = must(pki.sign_v2g(must(make_csr(must(PrivateKey::generate_p256()), "SECC001"))));
  CHECK(verify_chain(chain[0], {chain[1], chain[2]}, {v2g_root}, full()).verdict == ChainVerdict::valid);
  const LocalPki reopened = open(tmp.path());
  CHECK(reopened.v2g_signing_ca().certificate() == pki.v2g_signing_ca().certificate());
  const Certificate server = must(Certificate::from_pem(read(reopened.server_chain_path())));
  CHECK(verify_chain(server, {}, {root}, full()).verdict == ChainVerdict::valid);
  const Certificate rsa_server = must(Certificate::from_pem(read(reopened.rsa_server_chain_path())));
  CHECK(rsa_server.key_type() == KeyType::rsa);
  CHECK(verify_chain(rsa_server, {}, {root}, full()).verdict == ChainVerdict::valid);
}

TEST_CASE("an interrupted write is discarded before its commit and finished after it", "[local_pki]") {
  TempDir tmp;
  const std::string source = tmp / "source";
  const LocalPki original = open(source);

  // Crashed before the commit marker: the half-written files are dropped and a PKI made afresh.
  const std::string before_commit = tmp / "before";
  std::filesystem::create_directories(before_commit);
  write(before_commit + "/csms-root.key.next", "half a key");
  bool created = false;
  const LocalPki fresh = open(before_commit, &created);
  CHECK(created);
  CHECK_FALSE(std::filesystem::exists(before_commit + "/csms-root.key.next"));
  CHECK_FALSE(fresh.csms_root().certificate() == original.csms_root().certificate());

  // Crashed after it: the pending files are installed.
  const std::string after_commit = tmp / "after";
  std::filesystem::create_directories(after_commit);
  for (const auto& entry : std::filesystem::directory_iterator(source))
    std::filesystem::copy_file(entry.path(), after_commit + "/" + entry.path().filename().string() + ".next");
  write(after_commit + "/transaction.commit", "");
  const LocalPki recovered = open(after_commit, &created);
  CHECK_FALSE(created);
  CHECK(recovered.csms_root().certificate() == original.csms_root().certificate());
  CHECK(recovered.v2g_signing_ca().certificate() == original.v2g_signing_ca().certificate());
  CHECK_FALSE(std::filesystem::exists(after_commit + "/transaction.commit"));
}
