// The Plug & Charge sign flow (pnc/sign_flow.cpp, unwrapped in pnc/security_actor.cpp) for 1.6
// stations, both ways a 1.6 station asks: the security extension's own SignCertificate, answered in
// its 1.6 form and delivered as the 1.6 CertificateSigned; and DataTransfer
// org.openchargealliance.iso15118pnc carrying the 2.0.1 SignCertificate, answered as DataTransfer.conf
// with the 2.0.1 response in data and delivered as a DataTransfer carrying the 2.0.1
// CertificateSigned. Step by step under CAF's test coordinator, as in pnc_sign_flow_test.cpp (the
// fixture: pnc_flow_fixture.hpp).

#include "tests/actors/pnc_flow_fixture.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using namespace std::chrono_literals;

// ---- the 1.6 security extension -----------------------------------------------------------------

TEST_CASE_METHOD(Fixture,
                 "1.6 security extension: a station's SignCertificate is answered in the 1.6 form once stored, signed "
                 "by the CPO sub-CA and delivered as the 1.6 CertificateSigned, and Accepted is recorded as delivered",
                 "[pnc][sign][ocpp16]") {
  connect_as_16();
  sign_certificate_16(csr_pem(kStation));
  sched.run();
  // Acknowledged means durable here too: nothing goes back before the request is stored.
  CHECK(events().empty());
  CHECK(committer.pending() == 1);

  committer.flush();
  auto stored = record();  // the 1.6 request has no type: it is the station's own certificate
  REQUIRE(stored.has_value());
  CHECK(stored->channel == SignChannel::v16);
  CHECK(stored->state == "Signing");
  CHECK(stored->signer == "local");
  CHECK(stored->requested_at_ms == kNow);
  settle();
  // SignCertificate.conf of 1.6: the status alone, no statusInfo.
  REQUIRE(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  CHECK(reply_as<ocpp16::SignCertificateResponse>(0).status == ocpp16::GenericStatusEnumType::Accepted);
  // The 1.6 action with the 1.6 typed request (a certificate chain and no certificate type).
  const auto& request = v16_request<ocpp16::CertificateSignedRequest>(0);
  auto chain = pki::parse_pem_chain(request.certificateChain);
  REQUIRE(chain.has_value());
  REQUIRE(chain->size() >= 1);
  CHECK(chain->front().subject_cn() == kStation);
  CHECK(chain->front().signed_by(local_pki.cpo_sub_ca().certificate()));
  stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->certificate_chain == request.certificateChain);
  CHECK(stored->certificate_hash == chain->front().sha256_hash());
  CHECK(stored->attempts == 0);

  clock.advance(2000);
  station_answers(R"({"status":"Accepted"})");  // the 1.6 CertificateSigned.conf
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 1);
  CHECK(stored->delivered_at_ms == kNow + 2000);
  CHECK(stored->last_error.empty());
  advance(1h);
  booted();
  CHECK(calls() == 1);
  CHECK(certificate_entries() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "1.6 security extension: CertificateSigned answered Rejected, or with a CALLERROR, is sent again in "
                 "its 1.6 form after 1, 2, 4 ... s, as in 2.0.1",
                 "[pnc][sign][ocpp16]") {
  connect_as_16();
  sign_certificate_16(csr_pem(kStation));
  settle();
  REQUIRE(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  const std::vector<std::int64_t> backoff_s = {1, 2, 4, 8};
  for (std::size_t i = 0; i < backoff_s.size(); ++i) {
    INFO("rejection " << i + 1);
    station_answers(R"({"status":"Rejected"})");
    auto stored = record();
    CHECK(stored->state == "Signed");
    CHECK(stored->attempts == static_cast<std::int64_t>(i + 1));
    CHECK(stored->last_error == "CertificateSigned answered Rejected");
    advance(std::chrono::seconds(backoff_s[i]) - 1ms);
    CHECK(calls() == i + 1);  // not yet
    advance(1ms);
    REQUIRE(calls() == i + 2);  // the same chain again, still the 1.6 call
    CHECK(v16_request<ocpp16::CertificateSignedRequest>(i + 1).certificateChain == stored->certificate_chain);
  }

  // A station that does not take the call at all: a failed delivery like a rejection.
  station_answers(call_error("NotImplemented", "CertificateSigned is not implemented"));
  auto stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->attempts == 5);
  CHECK(stored->last_error == "CALLERROR NotImplemented: CertificateSigned is not implemented");
  advance(16s - 1ms);
  CHECK(calls() == 5);
  advance(1ms);
  REQUIRE(calls() == 6);
  CHECK(v16_request<ocpp16::CertificateSignedRequest>(5).certificateChain == stored->certificate_chain);

  station_answers(R"({"status":"Accepted"})");
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 6);
  CHECK(stored->last_error.empty());
  advance(1h);
  CHECK(calls() == 6);
}

TEST_CASE_METHOD(Fixture,
                 "1.6 security extension: a CSR that is not a CSR, or not the station's, is answered Rejected in the "
                 "1.6 form (no statusInfo) and nothing is stored, signed or sent",
                 "[pnc][sign][ocpp16]") {
  connect_as_16();
  sign_certificate_16("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n");
  sign_certificate_16(csr_pem("CS2"));
  settle();
  advance(1h);
  CHECK(events() ==
        std::vector<std::string>{R"(CALLRESULT {"status":"Rejected"})", R"(CALLRESULT {"status":"Rejected"})"});
  CHECK(reply_as<ocpp16::SignCertificateResponse>(1).status == ocpp16::GenericStatusEnumType::Rejected);
  CHECK(committer.submitted() == 0);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
}

// ---- 1.6 DataTransfer org.openchargealliance.iso15118pnc ---------------------------------------------

TEST_CASE_METHOD(Fixture,
                 "1.6 iso15118pnc DataTransfer: SignCertificate in data is answered DataTransfer.conf Accepted with "
                 "the 2.0.1 response in data, signed by the V2G signing CA and delivered as a DataTransfer carrying "
                 "the 2.0.1 CertificateSigned",
                 "[pnc][sign][ocpp16][iso15118pnc]") {
  connect_as_16();
  pnc_data_transfer("SignCertificate", sign_request_json(csr_pem("CS1-EVSE1"), kV2GCertificate));
  sched.run();
  CHECK(events().empty());  // answered once stored
  CHECK(committer.pending() == 1);
  committer.flush();
  auto stored = record(kV2GCertificate);
  REQUIRE(stored.has_value());
  CHECK(stored->channel == SignChannel::v16_pnc);
  CHECK(stored->state == "Signing");
  CHECK(stored->signer == "local");

  settle();
  REQUIRE(events().size() == 2);
  CHECK(events()[1] == "DataTransfer");
  const auto conf = reply_as<ocpp16::DataTransferResponse>(0);
  CHECK(conf.status == ocpp16::DataTransferStatus::Accepted);
  CHECK(conf.data == R"({"status":"Accepted"})");  // the 2.0.1 SignCertificateResponse
  const auto request = wrapped_request<ocpp201::CertificateSignedRequest>(0);
  CHECK(request.certificateType == ocpp201::CertificateSigningUseEnumType::V2GCertificate);
  auto chain = pki::parse_pem_chain(request.certificateChain);
  REQUIRE(chain.has_value());
  CHECK(chain->front().subject_cn() == "CS1-EVSE1");
  CHECK(chain->front().signed_by(local_pki.v2g_signing_ca().certificate()));
  stored = record(kV2GCertificate);
  CHECK(stored->state == "Signed");
  CHECK(stored->certificate_chain == request.certificateChain);

  clock.advance(700);
  station_answers(transfer_conf(R"({"status":"Accepted"})"));
  stored = record(kV2GCertificate);
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 1);
  CHECK(stored->delivered_at_ms == kNow + 700);
  CHECK(stored->last_error.empty());
  CHECK_FALSE(record(kStationCertificate).has_value());
  advance(1h);
  booted();
  CHECK(calls() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "1.6 iso15118pnc DataTransfer: a CertificateSigned whose DataTransfer.conf is not Accepted, or whose "
                 "data is not a CertificateSignedResponse, is a failed delivery and sent again with backoff",
                 "[pnc][sign][ocpp16][iso15118pnc]") {
  connect_as_16();
  pnc_data_transfer("SignCertificate", sign_request_json(csr_pem(kStation), kStationCertificate));
  settle();
  REQUIRE(events().size() == 2);
  CHECK(events()[0] == R"(CALLRESULT {"status":"Accepted","data":"{\"status\":\"Accepted\"}"})");
  CHECK(wrapped_request<ocpp201::CertificateSignedRequest>(0).certificateType ==
        ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate);
  const auto chain = record()->certificate_chain;

  // data that is no CertificateSignedResponse (here: the request sent back).
  station_answers(transfer_conf(R"({"certificateChain":"x"})"));
  auto stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->attempts == 1);
  CHECK_THAT(stored->last_error, Catch::StartsWith("DataTransfer.conf data is not a CertificateSigned response: "));
  advance(1s - 1ms);
  CHECK(calls() == 1);
  advance(1ms);
  REQUIRE(calls() == 2);
  CHECK(wrapped_request<ocpp201::CertificateSignedRequest>(1).certificateChain == chain);

  // A station without iso15118pnc: the transfer itself refused, no data.
  station_answers(R"({"status":"UnknownVendorId"})");
  stored = record();
  CHECK(stored->attempts == 2);
  CHECK(stored->last_error == "DataTransfer.conf status UnknownVendorId without data");
  advance(2s - 1ms);
  CHECK(calls() == 2);
  advance(1ms);
  REQUIRE(calls() == 3);

  // The 2.0.1 answer inside says Rejected.
  station_answers(transfer_conf(R"({"status":"Rejected"})"));
  stored = record();
  CHECK(stored->attempts == 3);
  CHECK(stored->last_error == "CertificateSigned answered Rejected");
  advance(4s - 1ms);
  CHECK(calls() == 3);
  advance(1ms);
  REQUIRE(calls() == 4);
  CHECK(wrapped_request<ocpp201::CertificateSignedRequest>(3).certificateChain == chain);

  station_answers(transfer_conf(R"({"status":"Accepted"})"));
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 4);
  CHECK(stored->last_error.empty());
  advance(1h);
  CHECK(calls() == 4);
}

TEST_CASE_METHOD(Fixture,
                 "1.6 iso15118pnc DataTransfer: a V2G CSR not naming the station is refused inside an Accepted "
                 "DataTransfer.conf, with the 2.0.1 Rejected and InvalidCSR in data, and nothing is stored",
                 "[pnc][sign][ocpp16][iso15118pnc]") {
  connect_as_16();
  pnc_data_transfer("SignCertificate", sign_request_json(csr_pem("CS2-EVSE1"), kV2GCertificate));
  settle();
  advance(1h);
  REQUIRE(station_log->replies.size() == 1);
  const auto conf = reply_as<ocpp16::DataTransferResponse>(0);
  CHECK(conf.status == ocpp16::DataTransferStatus::Accepted);
  REQUIRE(conf.data.has_value());
  ocpp201::SignCertificateResponse response;
  REQUIRE(ocpp::decode_payload(*conf.data, response).has_value());
  CHECK(response.status == ocpp201::GenericStatusEnumType::Rejected);
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == "InvalidCSR");
  CHECK_THAT(response.statusInfo->additionalInfo.value_or(""),
             Catch::StartsWith("the CSR's CN 'CS2-EVSE1' does not name the station 'CS1'"));
  CHECK(committer.submitted() == 0);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
}

TEST_CASE_METHOD(Fixture,
                 "1.6 iso15118pnc DataTransfer: an unknown messageId is answered UnknownMessageId and data that is not "
                 "the 2.0.1 request Rejected, and nothing is stored, signed or sent",
                 "[pnc][sign][ocpp16][iso15118pnc]") {
  connect_as_16();
  pnc_data_transfer("Foo", std::nullopt);
  pnc_data_transfer("CertificateSigned", R"({"certificateChain":"x"})");  // a 2.0.1 action, but the CSMS's to send
  pnc_data_transfer("SignCertificate", R"({"certificateType":"V2GCertificate"})");  // no csr
  pnc_data_transfer("SignCertificate", std::nullopt);
  settle();
  advance(1h);
  CHECK(events() == std::vector<std::string>{
                        R"(CALLRESULT {"status":"UnknownMessageId"})", R"(CALLRESULT {"status":"UnknownMessageId"})",
                        R"(CALLRESULT {"status":"Rejected"})", R"(CALLRESULT {"status":"Rejected"})"});
  CHECK(committer.submitted() == 0);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
}
