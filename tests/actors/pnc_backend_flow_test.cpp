// The Plug & Charge flows that go through the back-end actor (Hubject and OCSP responders,
// pnc/backend_actor.cpp), step by step under CAF 0.17's deterministic test coordinator (the
// fixture: pnc_flow_fixture.hpp, BackendFixture): a fake BackendActor in the Router records each
// request the security actor makes (enroll, contract, roots, ocsp) and answers only when the test
// says, so a request can also fail or stay unanswered. OCSP answers are real ones, made with
// pki::make_ocsp_response from the DER request the security actor sent, signed by the local PKI's
// V2G signing sub-CA (or a test MO CA) that issued the contract certificate.

#include "tests/actors/pnc_flow_fixture.hpp"

#include "pki/authority.hpp"
#include "pki/ocsp.hpp"
#include "pki/password.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using namespace std::chrono_literals;

namespace {

using AuthStatus = ocpp201::AuthorizationStatusEnumType;
using CertStatus = ocpp201::AuthorizeCertificateStatusEnumType;

const std::string kEmaid = "DE-ABC-C12345678-X";
const std::string kOcspUrl = "http://ocsp.test/v2g";
const std::string kExiRequest = "gAD8AAAAAAAAAAAAAAA=";
const std::string kSchema = "urn:iso:15118:2:2013:MsgDef";

template <class T>
T must(pki::Result<T> result) {
  if (!result) throw std::runtime_error(result.error());
  return std::move(*result);
}

/// A contract certificate for `emaid` issued by `ca` (OCSP responder `ocsp_url` when not empty),
/// as the station sends it: the leaf, then `ca`'s chain without its root.
struct Contract {
  pki::Certificate leaf;
  std::string pem;
};
Contract contract_certificate(const pki::CertificateAuthority& ca, const std::string& emaid,
                              const std::string& ocsp_url = kOcspUrl) {
  pki::IssueOptions options;
  options.profile = pki::CertificateProfile::v2g_secc;
  options.ocsp_url = ocsp_url;
  auto leaf = must(ca.issue(must(pki::PrivateKey::generate_p256()), emaid, "Test MO", options));
  std::vector<pki::Certificate> chain{leaf};
  chain.insert(chain.end(), ca.chain().begin(), ca.chain().end() - 1);
  return {leaf, pki::to_pem_chain(chain)};
}

/// The OCSP responder's DER answer to `request_der`, signed by `signer`, saying `status`.
std::string ocsp_answer(const std::string& request_der, const pki::CertificateAuthority& signer,
                        pki::OcspCertStatus status) {
  return must(
      pki::make_ocsp_response(request_der, signer, [status](const pki::CertificateHashData&) { return status; }));
}

ocpp201::OCSPRequestDataType ocsp_data(const pki::CertificateHashData& id, const std::string& url) {
  ocpp201::OCSPRequestDataType data;
  data.hashAlgorithm = ocpp201::HashAlgorithmEnumType::SHA256;
  data.issuerNameHash = id.issuer_name_hash;
  data.issuerKeyHash = id.issuer_key_hash;
  data.serialNumber = id.serial_number;
  data.responderURL = url;
  return data;
}

ocpp201::AuthorizeRequest authorize_with(const std::string& certificate_pem, const std::string& emaid = kEmaid) {
  ocpp201::AuthorizeRequest request;
  request.idToken.idToken = emaid;
  request.idToken.type = ocpp201::IdTokenEnumType::eMAID;
  request.certificate = certificate_pem;
  return request;
}

ocpp201::Get15118EVCertificateRequest ev_certificate(ocpp201::CertificateActionEnumType action) {
  ocpp201::Get15118EVCertificateRequest request;
  request.iso15118SchemaVersion = kSchema;
  request.action = action;
  request.exiRequest = kExiRequest;
  return request;
}

/// Hubject not configured: the V2G CSR is signed locally, Authorize fetches no roots.
void without_hubject(Fixture&, PncSettings& pnc) { pnc.hubject_url.clear(); }

/// An MO PKI of the test's own (root -> sub-CA), as Hubject's root list would name it.
struct MoPki {
  pki::CertificateAuthority root = must(pki::CertificateAuthority::create_root(
      "Test MO Root", "Test MO", std::chrono::hours(24 * 365), must(pki::PrivateKey::generate_p256())));
  pki::CertificateAuthority sub =
      must(root.create_sub_ca("Test MO Sub-CA", "Test MO", std::chrono::hours(24 * 180), 0));
};

/// The fake back end without Hubject (only OCSP responders are reached).
struct NoHubjectFixture : BackendFixture {
  NoHubjectFixture() : BackendFixture(without_hubject) {}
};

/// Hubject configured with a root cache that is always stale.
struct NoRootCacheFixture : BackendFixture {
  NoRootCacheFixture() : BackendFixture([](Fixture&, PncSettings& pnc) { pnc.root_cache_ttl = 0s; }) {}
};

}  // namespace

// ---- V2G SignCertificate through Hubject (enroll) ----------------------------------------------------

TEST_CASE_METHOD(BackendFixture,
                 "TC_A_12_CSMS: with Hubject configured a V2G CSR is answered Accepted once stored, enrolled at "
                 "Hubject, and the chain Hubject returns is stored and delivered in CertificateSigned",
                 "[pnc][backend][sign]") {
  const auto csr = csr_pem(kStation);
  sign_certificate(csr, kV2GCertificate);
  sched.run();
  CHECK(events().empty());
  CHECK(backend_requests() == 0);
  committer.flush();
  REQUIRE(record(kV2GCertificate).has_value());
  CHECK(record(kV2GCertificate)->state == "Signing");
  CHECK(record(kV2GCertificate)->signer == "hubject");

  settle();
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})"});
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll"});
  CHECK(backend_request(0).a == csr);
  CHECK_FALSE(backend_request(0).renewal);
  CHECK(record(kV2GCertificate)->state == "Signing");  // nothing more until Hubject answers

  // Hubject's chain (here made by the local V2G sub-CA, so it parses as the real one would).
  const auto chain_pem = pki::to_pem_chain(must(local_pki.sign_v2g(must(pki::CertificateRequest::from_pem(csr)))));
  clock.advance(700);
  backend_answers(backend_ok(chain_pem));
  auto stored = record(kV2GCertificate);
  REQUIRE(stored.has_value());
  CHECK(stored->state == "Signed");
  CHECK(stored->certificate_chain == chain_pem);
  CHECK(stored->signed_at_ms == kNow + 700);
  CHECK(stored->last_error.empty());
  REQUIRE(events().size() == 2);
  const auto& request = certificate_signed(0);
  CHECK(request.certificateType == ocpp201::CertificateSigningUseEnumType::V2GCertificate);
  CHECK(request.certificateChain == chain_pem);
  CHECK(stored->certificate_hash == must(pki::parse_pem_chain(chain_pem)).front().sha256_hash());

  station_answers(R"({"status":"Accepted"})");
  CHECK(record(kV2GCertificate)->state == "Delivered");
  CHECK(backend_requests() == 1);
}

TEST_CASE_METHOD(BackendFixture,
                 "a V2G CSR for a station that had a V2G certificate delivered is enrolled as a renewal",
                 "[pnc][backend][sign]") {
  const auto csr = csr_pem(kStation);
  const auto chain_pem = pki::to_pem_chain(must(local_pki.sign_v2g(must(pki::CertificateRequest::from_pem(csr)))));
  sign_certificate(csr, kV2GCertificate);
  settle();
  backend_answers(backend_ok(chain_pem));
  station_answers(R"({"status":"Accepted"})");
  REQUIRE(record(kV2GCertificate)->state == "Delivered");
  CHECK_FALSE(record(kV2GCertificate)->renewal);

  const auto second = csr_pem(kStation);
  sign_certificate(second, kV2GCertificate);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll", "enroll"});
  CHECK(backend_request(1).a == second);
  CHECK(backend_request(1).renewal);
  CHECK(record(kV2GCertificate)->renewal);
  CHECK(record(kV2GCertificate)->state == "Signing");
}

TEST_CASE_METHOD(BackendFixture,
                 "an enroll Hubject refuses leaves the V2G request Failed with the back end's error, and nothing "
                 "retries it: neither time nor the station's next boot",
                 "[pnc][backend][sign]") {
  sign_certificate(csr_pem(kStation), kV2GCertificate);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll"});
  backend_answers(backend_failed("EST simpleenroll: HTTP 400 Bad Request", 400));
  auto stored = record(kV2GCertificate);
  REQUIRE(stored.has_value());
  CHECK(stored->state == "Failed");
  CHECK(stored->last_error == "EST simpleenroll: HTTP 400 Bad Request");
  CHECK(stored->certificate_chain.empty());
  // The station was answered Accepted before signing started; it learns nothing more.
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})"});

  advance(1h);
  booted();
  CHECK(backend_requests() == 1);
  CHECK(calls() == 0);
  CHECK(record(kV2GCertificate)->state == "Failed");
}

TEST_CASE_METHOD(BackendFixture, "an enroll answer that holds no certificate fails the V2G request",
                 "[pnc][backend][sign]") {
  sign_certificate(csr_pem(kStation), kV2GCertificate);
  settle();
  backend_answers(backend_ok("not a PEM chain"));
  REQUIRE(record(kV2GCertificate).has_value());
  CHECK(record(kV2GCertificate)->state == "Failed");
  CHECK(record(kV2GCertificate)->last_error == "EST answer without a certificate");
  CHECK(calls() == 0);
}

TEST_CASE_METHOD(BackendFixture,
                 "an enroll Hubject does not answer leaves the V2G request Signing with no deadline of its own, and "
                 "the station's next boot enrolls the same CSR again while the first is still out",
                 "[pnc][backend][sign]") {
  const auto csr = csr_pem(kStation);
  sign_certificate(csr, kV2GCertificate);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll"});
  advance(1h);
  CHECK(backend_waiting() == 1);
  CHECK(record(kV2GCertificate)->state == "Signing");
  CHECK(calls() == 0);

  booted();
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll", "enroll"});
  CHECK(backend_request(1).a == csr);
  CHECK(backend_waiting() == 2);

  // The first answer signs and delivers.
  const auto chain_pem = pki::to_pem_chain(must(local_pki.sign_v2g(must(pki::CertificateRequest::from_pem(csr)))));
  backend_answers(backend_ok(chain_pem));
  CHECK(record(kV2GCertificate)->state == "Signed");
  CHECK(calls() == 1);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "without Hubject configured a V2G CSR is signed by the local V2G sub-CA and the back end is not asked",
                 "[pnc][backend][sign]") {
  sign_certificate(csr_pem(kStation), kV2GCertificate);
  settle();
  CHECK(backend_requests() == 0);
  REQUIRE(record(kV2GCertificate).has_value());
  CHECK(record(kV2GCertificate)->signer == "local");
  CHECK(record(kV2GCertificate)->state == "Signed");
  const auto chain = must(pki::parse_pem_chain(certificate_signed(0).certificateChain));
  CHECK(chain.front().signed_by(local_pki.v2g_signing_ca().certificate()));
}

// ---- Get15118EVCertificate (contract) --------------------------------------------------------------

TEST_CASE_METHOD(BackendFixture,
                 "TC_M_26_CSMS: Get15118EVCertificate asks the contract pool with the EXI request and the schema "
                 "version, and answers Accepted with the pool's EXI response",
                 "[pnc][backend][contract]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"contract"});
  CHECK(backend_request(0).a == kExiRequest);
  CHECK(backend_request(0).b == kSchema);
  CHECK(events().empty());  // the station waits for the pool

  backend_answers(backend_ok("gAHEXIRESPONSE=="));
  REQUIRE(events().size() == 1);
  const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
  CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Accepted);
  CHECK(response.exiResponse == "gAHEXIRESPONSE==");
  CHECK_FALSE(response.statusInfo.has_value());
  CHECK(certificate_entries() == 0);  // nothing is stored
}

TEST_CASE_METHOD(BackendFixture, "TC_M_28_CSMS: a Get15118EVCertificate Update goes to the contract pool the same way",
                 "[pnc][backend][contract]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Update));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"contract"});
  CHECK(backend_request(0).a == kExiRequest);
  backend_answers(backend_ok("gAHUPDATE=="));
  const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
  CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Accepted);
  CHECK(response.exiResponse == "gAHUPDATE==");
}

TEST_CASE_METHOD(BackendFixture,
                 "a Get15118EVCertificate the pool fails is Failed: NoContract for a 404, BackendError otherwise, "
                 "with the back end's error as additionalInfo",
                 "[pnc][backend][contract]") {
  int http_status = 0;
  std::string reason;
  SECTION("404") {
    http_status = 404;
    reason = "NoContract";
  }
  SECTION("500") {
    http_status = 500;
    reason = "BackendError";
  }
  SECTION("no HTTP answer") {
    http_status = 0;
    reason = "BackendError";
  }
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  backend_answers(backend_failed("contract pool: HTTP " + std::to_string(http_status), http_status));
  const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
  CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Failed);
  CHECK(response.exiResponse.empty());
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == reason);
  CHECK(response.statusInfo->additionalInfo == "contract pool: HTTP " + std::to_string(http_status));
  CHECK(backend_requests() == 1);  // not retried here (the back-end actor retries its HTTP exchanges)
}

TEST_CASE_METHOD(BackendFixture, "an EXI response over 5600 characters is Failed with ResponseTooLarge",
                 "[pnc][backend][contract]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  SECTION("5600 characters pass") {
    backend_answers(backend_ok(std::string(5600, 'A')));
    const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
    CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Accepted);
    CHECK(response.exiResponse.size() == 5600);
  }
  SECTION("5601 do not") {
    backend_answers(backend_ok(std::string(5601, 'A')));
    const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
    CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Failed);
    REQUIRE(response.statusInfo.has_value());
    CHECK(response.statusInfo->reasonCode == "ResponseTooLarge");
  }
}

TEST_CASE_METHOD(BackendFixture,
                 "a Get15118EVCertificate the pool does not answer is not answered either, however long it waits",
                 "[pnc][backend][contract]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  advance(1h);
  CHECK(backend_waiting() == 1);
  CHECK(events().empty());
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "without Hubject configured Get15118EVCertificate is Failed with NoContractPool and the back end is "
                 "not asked",
                 "[pnc][backend][contract]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  CHECK(backend_requests() == 0);
  const auto response = reply_as<ocpp201::Get15118EVCertificateResponse>(0);
  CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Failed);
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == "NoContractPool");
}

TEST_CASE_METHOD(BackendFixture,
                 "a 1.6 station's Get15118EVCertificate in DataTransfer iso15118pnc goes to the pool and is answered "
                 "in DataTransfer.conf data",
                 "[pnc][backend][contract]") {
  connect_as_16();
  pnc_data_transfer("Get15118EVCertificate",
                    ocpp::to_json(ev_certificate(ocpp201::CertificateActionEnumType::Install)));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"contract"});
  CHECK(backend_request(0).b == kSchema);
  backend_answers(backend_ok("gAHEXI=="));
  const auto conf = reply_as<ocpp16::DataTransferResponse>(0);
  CHECK(conf.status == ocpp16::DataTransferStatus::Accepted);
  REQUIRE(conf.data.has_value());
  ocpp201::Get15118EVCertificateResponse response;
  REQUIRE(ocpp::decode_payload(*conf.data, response).has_value());
  CHECK(response.status == ocpp201::Iso15118EVCertificateStatusEnumType::Accepted);
  CHECK(response.exiResponse == "gAHEXI==");
}

// ---- Authorize with a contract certificate (OCSP) -----------------------------------------------------

TEST_CASE_METHOD(NoHubjectFixture,
                 "TC_C_52_CSMS: Authorize with a contract certificate asks the certificate's OCSP responder, and a "
                 "good answer authorizes the eMAID as a token",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  const auto& ca = local_pki.v2g_signing_ca();
  const auto contract = contract_certificate(ca, kEmaid);
  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"ocsp"});
  CHECK(backend_request(0).a == kOcspUrl);
  CHECK(events().empty());

  // The request names the leaf by its issuer: the responder's answer about it verifies.
  const auto der = ocsp_answer(backend_request(0).b, ca, pki::OcspCertStatus::good);
  CHECK(must(pki::parse_ocsp_response(der, contract.leaf.hash_data(ca.certificate()), {ca.certificate()})).status ==
        pki::OcspCertStatus::good);
  backend_answers(backend_ok(der));
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
  CHECK(response.certificateStatus == CertStatus::Accepted);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "a contract certificate that is good per OCSP but whose eMAID is no known token is not accepted",
                 "[pnc][backend][authorize]") {
  const auto& ca = local_pki.v2g_signing_ca();
  station_sends(authorize_with(contract_certificate(ca, kEmaid).pem));
  settle();
  backend_answers(backend_ok(ocsp_answer(backend_request(0).b, ca, pki::OcspCertStatus::good)));
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Unknown);
  CHECK(response.certificateStatus == CertStatus::Accepted);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "a contract certificate OCSP says is revoked is Blocked with certificateStatus CertificateRevoked",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  const auto& ca = local_pki.v2g_signing_ca();
  station_sends(authorize_with(contract_certificate(ca, kEmaid).pem));
  settle();
  backend_answers(backend_ok(ocsp_answer(backend_request(0).b, ca, pki::OcspCertStatus::revoked)));
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Blocked);
  CHECK(response.certificateStatus == CertStatus::CertificateRevoked);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "a contract certificate whose revocation status cannot be learned is Unknown without a "
                 "certificateStatus: responder does not know it, exchange failed, answer unparseable or signed by "
                 "another CA",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  const auto& ca = local_pki.v2g_signing_ca();
  station_sends(authorize_with(contract_certificate(ca, kEmaid).pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"ocsp"});
  const auto request_der = backend_request(0).b;
  SECTION("unknown") { backend_answers(backend_ok(ocsp_answer(request_der, ca, pki::OcspCertStatus::unknown))); }
  SECTION("the exchange failed") { backend_answers(backend_failed("OCSP responder: HTTP 503", 503)); }
  SECTION("not an OCSP response") { backend_answers(backend_ok("garbage")); }
  SECTION("signed by another CA") {
    const MoPki other;
    backend_answers(backend_ok(ocsp_answer(request_der, other.sub, pki::OcspCertStatus::good)));
  }
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Unknown);
  CHECK_FALSE(response.certificateStatus.has_value());
  CHECK(backend_requests() == 1);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "a contract certificate for another eMAID than the token is Invalid and no OCSP request goes out",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  station_sends(authorize_with(contract_certificate(local_pki.v2g_signing_ca(), "DEABCC99999999X").pem));
  settle();
  CHECK(backend_requests() == 0);
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Invalid);
  CHECK(response.certificateStatus == CertStatus::Accepted);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "the eMAID is compared without dashes and case, and a contract certificate naming no OCSP responder "
                 "is authorized without a revocation check",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  station_sends(authorize_with(contract_certificate(local_pki.v2g_signing_ca(), "deabcc12345678x", "").pem));
  settle();
  CHECK(backend_requests() == 0);
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
  CHECK(response.certificateStatus == CertStatus::Accepted);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "a contract certificate under no trusted root is Blocked with CertChainError and no OCSP request "
                 "goes out",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  const MoPki untrusted;
  station_sends(authorize_with(contract_certificate(untrusted.sub, kEmaid).pem));
  settle();
  CHECK(backend_requests() == 0);
  const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Blocked);
  CHECK(response.certificateStatus == CertStatus::CertChainError);
}

TEST_CASE_METHOD(NoHubjectFixture,
                 "Authorize with iso15118CertificateHashData asks each named responder and answers once all have: all "
                 "good authorizes, any revoked blocks, an unknown or failed one leaves it Unknown",
                 "[pnc][backend][authorize]") {
  put_token(kEmaid);
  // The station checked the chain itself and sends hash data only; each answer is signed by the
  // issuer its CertID names.
  const MoPki mo;
  const auto contract = contract_certificate(mo.sub, kEmaid);
  ocpp201::AuthorizeRequest request;
  request.idToken.idToken = kEmaid;
  request.idToken.type = ocpp201::IdTokenEnumType::eMAID;
  request.iso15118CertificateHashData = std::vector<ocpp201::OCSPRequestDataType>{
      ocsp_data(contract.leaf.hash_data(mo.sub.certificate()), "http://ocsp.test/leaf"),
      ocsp_data(mo.sub.certificate().hash_data(mo.root.certificate()), "http://ocsp.test/sub"),
  };
  station_sends(request);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"ocsp", "ocsp"});
  CHECK(backend_request(0).a == "http://ocsp.test/leaf");
  CHECK(backend_request(1).a == "http://ocsp.test/sub");
  const auto leaf_der = backend_request(0).b;
  const auto sub_der = backend_request(1).b;

  SECTION("both good") {
    backend_answers(backend_ok(ocsp_answer(leaf_der, mo.sub, pki::OcspCertStatus::good)));
    CHECK(events().empty());  // one responder still to answer
    backend_answers(backend_ok(ocsp_answer(sub_der, mo.root, pki::OcspCertStatus::good)));
    const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
    CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
    CHECK(response.certificateStatus == CertStatus::Accepted);
  }
  SECTION("the sub-CA revoked, the leaf's exchange failed") {
    backend_answers(backend_failed("OCSP responder: connection refused", 0));
    CHECK(events().empty());
    backend_answers(backend_ok(ocsp_answer(sub_der, mo.root, pki::OcspCertStatus::revoked)));
    const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
    CHECK(response.idTokenInfo.status == AuthStatus::Blocked);
    CHECK(response.certificateStatus == CertStatus::CertificateRevoked);
  }
  SECTION("the leaf unknown") {
    backend_answers(backend_ok(ocsp_answer(leaf_der, mo.sub, pki::OcspCertStatus::unknown)));
    backend_answers(backend_ok(ocsp_answer(sub_der, mo.root, pki::OcspCertStatus::good)));
    const auto response = reply_as<ocpp201::AuthorizeResponse>(0);
    CHECK(response.idTokenInfo.status == AuthStatus::Unknown);
    CHECK_FALSE(response.certificateStatus.has_value());
  }
  SECTION("one responder never answers: neither does the CSMS") {
    backend_answers(backend_ok(ocsp_answer(leaf_der, mo.sub, pki::OcspCertStatus::good)));
    advance(1h);
    CHECK(events().empty());
    CHECK(backend_waiting() == 1);
  }
}

// ---- GetCertificateStatus (ocsp) ---------------------------------------------------------------------

TEST_CASE_METHOD(BackendFixture,
                 "TC_M_24_CSMS: GetCertificateStatus asks the named responder and answers Accepted with its DER "
                 "answer in base64",
                 "[pnc][backend][ocsp]") {
  const auto& ca = local_pki.v2g_signing_ca();
  const auto contract = contract_certificate(ca, kEmaid);
  ocpp201::GetCertificateStatusRequest request;
  request.ocspRequestData = ocsp_data(contract.leaf.hash_data(ca.certificate()), kOcspUrl);
  station_sends(request);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"ocsp"});  // no roots: they are for Authorize only
  CHECK(backend_request(0).a == kOcspUrl);
  CHECK(events().empty());

  const auto der = ocsp_answer(backend_request(0).b, ca, pki::OcspCertStatus::good);
  backend_answers(backend_ok(der));
  const auto response = reply_as<ocpp201::GetCertificateStatusResponse>(0);
  CHECK(response.status == ocpp201::GetCertificateStatusEnumType::Accepted);
  CHECK(response.ocspResult == pki::base64_encode(der));
  CHECK_FALSE(response.statusInfo.has_value());
}

TEST_CASE_METHOD(BackendFixture,
                 "GetCertificateStatus passes the responder's answer on as it is: the station, not the CSMS, reads it",
                 "[pnc][backend][ocsp]") {
  const auto& ca = local_pki.v2g_signing_ca();
  ocpp201::GetCertificateStatusRequest request;
  request.ocspRequestData = ocsp_data(contract_certificate(ca, kEmaid).leaf.hash_data(ca.certificate()), kOcspUrl);
  station_sends(request);
  settle();
  backend_answers(backend_ok("not DER"));
  const auto response = reply_as<ocpp201::GetCertificateStatusResponse>(0);
  CHECK(response.status == ocpp201::GetCertificateStatusEnumType::Accepted);
  CHECK(response.ocspResult == pki::base64_encode("not DER"));
}

TEST_CASE_METHOD(BackendFixture,
                 "a GetCertificateStatus whose OCSP exchange fails is Failed with OCSPUnavailable, one too large with "
                 "ResponseTooLarge",
                 "[pnc][backend][ocsp]") {
  const auto& ca = local_pki.v2g_signing_ca();
  ocpp201::GetCertificateStatusRequest request;
  request.ocspRequestData = ocsp_data(contract_certificate(ca, kEmaid).leaf.hash_data(ca.certificate()), kOcspUrl);
  station_sends(request);
  settle();
  REQUIRE(backend_waiting() == 1);
  std::string reason;
  SECTION("failed") {
    backend_answers(backend_failed("OCSP responder: HTTP 502", 502));
    reason = "OCSPUnavailable";
  }
  SECTION("over 5500 characters of base64") {
    backend_answers(backend_ok(std::string(4128, 'x')));  // 5504 characters of base64
    reason = "ResponseTooLarge";
  }
  const auto response = reply_as<ocpp201::GetCertificateStatusResponse>(0);
  CHECK(response.status == ocpp201::GetCertificateStatusEnumType::Failed);
  CHECK_FALSE(response.ocspResult.has_value());
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == reason);
}

TEST_CASE_METHOD(BackendFixture,
                 "a GetCertificateStatus with malformed hash data is Failed with InvalidHashData and "
                 "the back end is not asked",
                 "[pnc][backend][ocsp]") {
  const auto& ca = local_pki.v2g_signing_ca();
  ocpp201::GetCertificateStatusRequest request;
  request.ocspRequestData = ocsp_data(contract_certificate(ca, kEmaid).leaf.hash_data(ca.certificate()), kOcspUrl);
  request.ocspRequestData.issuerNameHash = "abcd";
  station_sends(request);
  settle();
  CHECK(backend_requests() == 0);
  const auto response = reply_as<ocpp201::GetCertificateStatusResponse>(0);
  CHECK(response.status == ocpp201::GetCertificateStatusEnumType::Failed);
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == "InvalidHashData");
}

// ---- Hubject's roots (roots) ------------------------------------------------------------------------

TEST_CASE_METHOD(BackendFixture,
                 "with Hubject configured the first contract Authorize fetches Hubject's roots before checking the "
                 "chain, a contract certificate under one of them is accepted, and the roots are kept for the next",
                 "[pnc][backend][roots]") {
  put_token(kEmaid);
  const MoPki mo;
  const auto contract = contract_certificate(mo.sub, kEmaid);
  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots"});
  backend_answers(backend_ok(mo.root.certificate().pem()));
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots", "ocsp"});
  backend_answers(backend_ok(ocsp_answer(backend_request(1).b, mo.sub, pki::OcspCertStatus::good)));
  auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
  CHECK(response.certificateStatus == CertStatus::Accepted);

  // Within root_cache_ttl (an hour by default) the next Authorize uses the cached roots.
  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots", "ocsp", "ocsp"});
  backend_answers(backend_ok(ocsp_answer(backend_request(2).b, mo.sub, pki::OcspCertStatus::good)));
  response = reply_as<ocpp201::AuthorizeResponse>(1);
  CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
}

TEST_CASE_METHOD(BackendFixture,
                 "the roots cache's age is measured on the steady clock: moving the node's clock and CAF's past "
                 "root_cache_ttl fetches nothing",
                 "[pnc][backend][roots]") {
  put_token(kEmaid);
  const auto contract = contract_certificate(local_pki.v2g_signing_ca(), kEmaid, "");
  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots"});
  backend_answers(backend_ok(MoPki{}.root.certificate().pem()));
  CHECK(reply_as<ocpp201::AuthorizeResponse>(0).idTokenInfo.status == AuthStatus::Accepted);

  clock.advance(2 * 3600 * 1000);
  advance(2h);
  station_sends(authorize_with(contract.pem));
  settle();
  CHECK(backend_kinds() == std::vector<std::string>{"roots"});
  CHECK(reply_as<ocpp201::AuthorizeResponse>(1).idTokenInfo.status == AuthStatus::Accepted);
}

TEST_CASE_METHOD(NoRootCacheFixture, "with root_cache_ttl 0 every contract Authorize fetches the roots again",
                 "[pnc][backend][roots]") {
  put_token(kEmaid);
  const auto contract = contract_certificate(local_pki.v2g_signing_ca(), kEmaid, "");
  for (int i = 0; i < 2; ++i) {
    station_sends(authorize_with(contract.pem));
    settle();
    REQUIRE(backend_requests() == static_cast<std::size_t>(i + 1));
    CHECK(backend_request(static_cast<std::size_t>(i)).kind == "roots");
    backend_answers(backend_ok(MoPki{}.root.certificate().pem()));
    CHECK(reply_as<ocpp201::AuthorizeResponse>(static_cast<std::size_t>(i)).idTokenInfo.status == AuthStatus::Accepted);
  }
}

TEST_CASE_METHOD(BackendFixture,
                 "a failed roots fetch does not stop Authorize: the roots it had are used, and the next Authorize "
                 "asks again",
                 "[pnc][backend][roots]") {
  put_token(kEmaid);
  const MoPki mo;
  const auto contract = contract_certificate(mo.sub, kEmaid, "");
  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots"});
  backend_answers(backend_failed("rootCerts: HTTP 503", 503));
  // Without Hubject's roots the MO chain leads nowhere.
  auto response = reply_as<ocpp201::AuthorizeResponse>(0);
  CHECK(response.idTokenInfo.status == AuthStatus::Blocked);
  CHECK(response.certificateStatus == CertStatus::CertChainError);

  station_sends(authorize_with(contract.pem));
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"roots", "roots"});
  backend_answers(backend_ok(mo.root.certificate().pem()));
  response = reply_as<ocpp201::AuthorizeResponse>(1);
  CHECK(response.idTokenInfo.status == AuthStatus::Accepted);
  CHECK(response.certificateStatus == CertStatus::Accepted);
}

TEST_CASE_METHOD(BackendFixture,
                 "Authorizes that arrive while the roots are being fetched each fetch them, and each is answered "
                 "after its own fetch",
                 "[pnc][backend][roots]") {
  put_token(kEmaid);
  const auto contract = contract_certificate(local_pki.v2g_signing_ca(), kEmaid, "");
  station_sends(authorize_with(contract.pem));
  station_sends(authorize_with(contract.pem));
  settle();
  CHECK(backend_kinds() == std::vector<std::string>{"roots", "roots"});
  CHECK(events().empty());
  backend_answers(backend_ok(MoPki{}.root.certificate().pem()));
  CHECK(events().size() == 1);
  backend_answers(backend_failed("rootCerts: HTTP 503", 503));
  CHECK(events().size() == 2);
  CHECK(reply_as<ocpp201::AuthorizeResponse>(1).idTokenInfo.status == AuthStatus::Accepted);
}

TEST_CASE_METHOD(BackendFixture, "GetCertificateStatus and Get15118EVCertificate fetch no roots",
                 "[pnc][backend][roots]") {
  station_sends(ev_certificate(ocpp201::CertificateActionEnumType::Install));
  settle();
  CHECK(backend_kinds() == std::vector<std::string>{"contract"});
}

// A newer SignCertificate (a new CSR, so a new key on the station) that arrives while the first
// enroll is out replaces the request: the first answer, for the key the station replaced, is
// dropped (sign_flow.cpp store_outcome), and only the newer chain is delivered.
TEST_CASE_METHOD(BackendFixture,
                 "an enroll answered after a newer V2G SignCertificate does not replace the newer request",
                 "[pnc][backend][sign]") {
  const auto first = csr_pem(kStation);
  const auto second = csr_pem(kStation);
  sign_certificate(first, kV2GCertificate);
  settle();
  sign_certificate(second, kV2GCertificate);
  settle();
  REQUIRE(backend_kinds() == std::vector<std::string>{"enroll", "enroll"});
  REQUIRE(record(kV2GCertificate)->csr == second);

  const auto first_chain = pki::to_pem_chain(must(local_pki.sign_v2g(must(pki::CertificateRequest::from_pem(first)))));
  backend_answers(backend_ok(first_chain));
  CHECK(record(kV2GCertificate)->csr == second);
  CHECK(record(kV2GCertificate)->state == "Signing");
  CHECK(calls() == 0);

  const auto second_chain =
      pki::to_pem_chain(must(local_pki.sign_v2g(must(pki::CertificateRequest::from_pem(second)))));
  backend_answers(backend_ok(second_chain));
  REQUIRE(calls() == 1);
  CHECK(certificate_signed(0).certificateChain == second_chain);
}
