// The Plug & Charge sign flow (pnc/sign_flow.cpp) for 2.0.1 stations, step by step under CAF 0.17's
// deterministic test coordinator (the fixture: pnc_flow_fixture.hpp): the security actor takes a
// station's SignCertificate, stores it, answers, signs the CSR with the local PKI, stores the chain
// and sends CertificateSigned to a fake station actor, which answers as each test says. Every write
// goes through a TestCommitter (test_committer.hpp) that runs it only when the test flushes it, and
// every delayed message waits for the test to move CAF's clock, so the tests assert each message
// exchanged and what the store holds after each step. The 1.6 forms of the flow are in
// pnc_v16_sign_flow_test.cpp, the installs of roots in pnc_install_flow_test.cpp.

#include "tests/actors/pnc_flow_fixture.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(Fixture,
                 "TC_A_11_CSMS: a station's CSR is answered Accepted once stored, signed by the CPO sub-CA and "
                 "delivered in CertificateSigned",
                 "[pnc][sign]") {
  sign_certificate(csr_pem(kStation));
  sched.run();
  // Acknowledged means durable: nothing goes back before the request is stored.
  CHECK(events().empty());
  CHECK(committer.pending() == 1);
  CHECK_FALSE(record().has_value());

  committer.flush();
  auto stored = record();
  REQUIRE(stored.has_value());
  CHECK(stored->state == "Signing");
  CHECK(stored->signer == "local");
  CHECK(stored->requested_at_ms == kNow);
  sched.run();  // the answer goes out, and signing starts
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})"});
  CHECK(committer.pending() == 1);  // the signed chain, not yet stored: CertificateSigned waits for it
  CHECK(record()->state == "Signing");

  settle();
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  const auto& request = certificate_signed(0);
  CHECK(request.certificateType == ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate);
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

  clock.advance(1500);
  station_answers(R"({"status":"Accepted"})");
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 1);
  CHECK(stored->delivered_at_ms == kNow + 1500);
  CHECK(stored->last_error.empty());
  // Nothing more goes to the station, however long it stays connected.
  advance(1h);
  CHECK(calls() == 1);
  CHECK(certificate_entries() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "TC_A_12_CSMS: a V2G CSR naming the station is signed by the V2G signing CA and delivered as "
                 "V2GCertificate",
                 "[pnc][sign]") {
  sign_certificate(csr_pem("CS1-EVSE1"), kV2GCertificate);
  settle();
  REQUIRE(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  const auto& request = certificate_signed(0);
  CHECK(request.certificateType == ocpp201::CertificateSigningUseEnumType::V2GCertificate);
  auto chain = pki::parse_pem_chain(request.certificateChain);
  REQUIRE(chain.has_value());
  CHECK(chain->front().subject_cn() == "CS1-EVSE1");
  CHECK(chain->front().signed_by(local_pki.v2g_signing_ca().certificate()));

  station_answers(R"({"status":"Accepted"})");
  CHECK(record(kV2GCertificate)->state == "Delivered");
  CHECK_FALSE(record(kStationCertificate).has_value());
}

TEST_CASE_METHOD(Fixture,
                 "a station that went offline before its certificate was signed gets CertificateSigned once, at its "
                 "next boot",
                 "[pnc][sign]") {
  sign_certificate(csr_pem(kStation));
  sched.run();
  committer.flush();
  sched.run();  // answered; signing
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})"});
  disconnect();
  settle();
  // Not sent: the station is not connected. Recorded, and no retry while it is away.
  CHECK(calls() == 0);
  auto stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->attempts == 1);
  CHECK(stored->last_error == "not sent: the station is not connected");
  advance(1h);
  CHECK(calls() == 0);

  connect();
  // Two boot notices close together (a quick reconnect) still make one CertificateSigned.
  caf::anon_send(security, booted_atom::value, kStation);
  caf::anon_send(security, booted_atom::value, kStation);
  settle();
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  CHECK(certificate_signed(0).certificateChain == stored->certificate_chain);

  station_answers(R"({"status":"Accepted"})");
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 2);
  CHECK(stored->last_error.empty());
  caf::anon_send(security, booted_atom::value, kStation);  // a later boot: nothing left to deliver
  advance(1h);
  CHECK(calls() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "TC_A_14_CSMS: CertificateSigned answered Rejected is sent again after 1, 2, 4 ... s up to 300 s, "
                 "and not again once the station is gone until it boots",
                 "[pnc][sign]") {
  signed_and_sent();
  const std::vector<std::int64_t> backoff_s = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300};
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
    REQUIRE(calls() == i + 2);  // the same chain again
    CHECK(certificate_signed(i + 1).certificateChain == stored->certificate_chain);
  }

  // The station goes away with the call out: recorded, and no timer left behind.
  disconnect();
  station_answers(not_answered(CsmsCallResult::Kind::disconnected, "the station's connection ended"));
  auto stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->attempts == static_cast<std::int64_t>(backoff_s.size() + 1));
  CHECK(stored->last_error == "the station's connection ended");
  const auto sent = calls();
  advance(1h);
  CHECK(calls() == sent);

  connect();
  caf::anon_send(security, booted_atom::value, kStation);
  settle();
  CHECK(calls() == sent + 1);
  station_answers(R"({"status":"Accepted"})");
  CHECK(record()->state == "Delivered");
}

TEST_CASE_METHOD(Fixture,
                 "CertificateSigned left unanswered is sent again: after the station actor's call timeout, and "
                 "after no word from the station's connection at all, with the call withdrawn",
                 "[pnc][sign]") {
  signed_and_sent();
  // The station actor's own call timeout: it answers timeout after 30 s without a CALLRESULT.
  station_answers(not_answered(CsmsCallResult::Kind::timeout, "no answer within 30 s"));
  CHECK(record()->attempts == 1);
  CHECK(record()->last_error == "no answer within 30 s");
  advance(1s);
  REQUIRE(calls() == 2);

  // No word at all: the security actor's deadline ends the wait (csms_call_deadline: a call timeout
  // queued behind other calls, one call timeout once sent, a 10 s margin).
  advance(70s - 1ms);
  CHECK(record()->attempts == 1);
  CHECK(events().back() == "CertificateSigned");
  advance(1ms);
  CHECK(events().back() == "withdraw");
  auto stored = record();
  CHECK(stored->state == "Signed");
  CHECK(stored->attempts == 2);
  CHECK_THAT(stored->last_error, Catch::StartsWith("no word from the station's connection in time"));
  advance(2s);
  REQUIRE(calls() == 3);

  station_answers(R"({"status":"Accepted"})");
  stored = record();
  CHECK(stored->state == "Delivered");
  CHECK(stored->attempts == 3);
  advance(1h);
  CHECK(calls() == 3);
}

TEST_CASE_METHOD(Fixture, "a CSR that is not a CSR is refused with InvalidCSR: nothing stored, sent or retried",
                 "[pnc][sign]") {
  sign_certificate("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n");
  sched.run();
  // Refused at once: there is nothing to store first.
  REQUIRE(station_log->replies.size() == 1);
  ocpp201::SignCertificateResponse response;
  REQUIRE(ocpp::decode_payload(station_log->replies[0].payload, response).has_value());
  CHECK(response.status == ocpp201::GenericStatusEnumType::Rejected);
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == "InvalidCSR");
  CHECK(response.statusInfo->additionalInfo.has_value());
  settle();
  advance(1h);
  CHECK(committer.submitted() == 0);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
  CHECK(events().size() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "A02/A03: a CSR whose CN is not the station id is refused with InvalidCSR naming both, and nothing "
                 "is stored, signed or sent",
                 "[pnc][sign]") {
  sign_certificate(csr_pem("CS2"));
  settle();
  advance(1h);
  REQUIRE(station_log->replies.size() == 1);
  ocpp201::SignCertificateResponse response;
  REQUIRE(ocpp::decode_payload(station_log->replies[0].payload, response).has_value());
  CHECK(response.status == ocpp201::GenericStatusEnumType::Rejected);
  REQUIRE(response.statusInfo.has_value());
  CHECK(response.statusInfo->reasonCode == "InvalidCSR");
  CHECK(response.statusInfo->additionalInfo == "the CSR's CN 'CS2' is not the station id 'CS1'");
  CHECK(committer.submitted() == 0);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
}

TEST_CASE_METHOD(Fixture, "a SignCertificate that cannot be stored is answered InternalError and not signed",
                 "[pnc][sign]") {
  committer.fail_next("MDB_MAP_FULL: Environment mapsize limit reached");
  sign_certificate(csr_pem(kStation));
  settle();
  advance(1h);
  CHECK(events() == std::vector<std::string>{"CALLERROR could not store the request, please retry"});
  CHECK(committer.submitted() == 1);
  CHECK(certificate_entries() == 0);
  CHECK(calls() == 0);
}

TEST_CASE_METHOD(Fixture,
                 "a signed chain that could not be stored is not sent, the stored CSR is signed again at the next "
                 "boot and delivered",
                 "[pnc][sign]") {
  sign_certificate(csr_pem(kStation));
  sched.run();
  committer.flush();  // the request is stored and answered
  committer.fail_next("disk full");
  settle();
  advance(1h);
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})"});
  CHECK(record()->state == "Signing");
  CHECK(record()->certificate_chain.empty());

  caf::anon_send(security, booted_atom::value, kStation);
  settle();
  CHECK(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  CHECK(record()->state == "Signed");
  CHECK(record()->certificate_chain == certificate_signed(0).certificateChain);
  station_answers(R"({"status":"Accepted"})");
  CHECK(record()->state == "Delivered");
  CHECK(record()->attempts == 1);
}
