// Roots installed on a station (pnc/install_flow.cpp): the records POST /api/v0/cs/{csId}/certificates
// stores (Pending, one per certificate), then the API's install_atom for a connected station or the
// station actor's booted_atom after a boot; the security actor sends InstallCertificate for each
// Pending install (2.0.1 natively; on a 1.6 station the security extension's own call for the CSMS
// and manufacturer roots, DataTransfer iso15118pnc carrying the 2.0.1 call for the V2G and MO roots)
// and stores each answer on its record. Step by step under CAF's test coordinator, as in
// pnc_sign_flow_test.cpp (the fixture: pnc_flow_fixture.hpp).

#include "tests/actors/pnc_flow_fixture.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using namespace std::chrono_literals;

namespace {

/// The hash install records are keyed by, of the PEM certificate a call carries.
std::string hash_of(const std::string& pem) {
  auto certificate = pki::Certificate::from_pem(pem);
  REQUIRE(certificate.has_value());
  return certificate->sha256_hash();
}

}  // namespace

TEST_CASE_METHOD(Fixture,
                 "TC_M_01_CSMS: a CSMSRootCertificate to install on a connected station goes out as InstallCertificate "
                 "once the API says so, Accepted is stored on its record and it is not sent again",
                 "[pnc][install]") {
  const auto& root = local_pki.csms_root().certificate();
  const auto hash = put_install("CSMS", root);
  settle();
  CHECK(calls() == 0);  // stored only: the API's install_atom sends it

  clock.advance(500);
  install_now();
  REQUIRE(events() == std::vector<std::string>{"InstallCertificate"});
  const auto& request = v201_request<ocpp201::InstallCertificateRequest>(0);
  CHECK(request.certificateType == ocpp201::InstallCertificateUseEnumType::CSMSRootCertificate);
  CHECK(request.certificate == root.pem());
  auto stored = install(hash);
  REQUIRE(stored.has_value());
  CHECK(stored->status == "Pending");  // nothing stored before the answer
  CHECK(stored->updated_at_ms == kNow);

  clock.advance(1000);
  station_answers(R"({"status":"Accepted"})");
  stored = install(hash);
  REQUIRE(stored.has_value());
  CHECK(stored->status == "Accepted");
  CHECK(stored->detail.empty());
  CHECK(stored->updated_at_ms == kNow + 1500);
  CHECK(stored->type == "CSMS");
  CHECK(stored->certificate == root.pem());
  // Installed: neither the API's word nor a boot sends it again.
  install_now();
  booted();
  advance(1h);
  CHECK(calls() == 1);
  CHECK(certificate_entries() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "TC_M_02_CSMS, TC_M_03_CSMS, TC_M_04_CSMS: manufacturer, V2G and MO roots go out as "
                 "ManufacturerRootCertificate, V2GRootCertificate and MORootCertificate, each answer stored on its own "
                 "record, none sent twice",
                 "[pnc][install]") {
  struct Root {
    std::string type;
    const pki::Certificate* certificate;
    ocpp201::InstallCertificateUseEnumType use;
    std::string hash;
  };
  std::vector<Root> roots = {
      {"MF",
       &local_pki.cpo_sub_ca().certificate(),
       ocpp201::InstallCertificateUseEnumType::ManufacturerRootCertificate,
       {}},
      {"V2G", &local_pki.v2g_root().certificate(), ocpp201::InstallCertificateUseEnumType::V2GRootCertificate, {}},
      {"MO", &local_pki.v2g_signing_ca().certificate(), ocpp201::InstallCertificateUseEnumType::MORootCertificate, {}},
  };
  for (auto& root : roots) root.hash = put_install(root.type, *root.certificate);
  install_now();
  for (std::size_t i = 0; i < roots.size(); ++i) {
    // One at a time: the next goes once the station answered this one.
    REQUIRE(calls() == i + 1);
    // More words while it is out send nothing twice.
    install_now();
    booted();
    CHECK(calls() == i + 1);
    const auto& request = v201_request<ocpp201::InstallCertificateRequest>(i);
    auto root =
        std::find_if(roots.begin(), roots.end(), [&](const Root& r) { return r.hash == hash_of(request.certificate); });
    REQUIRE(root != roots.end());
    INFO("the " << root->type << " root");
    CHECK(request.certificateType == root->use);
    CHECK(request.certificate == root->certificate->pem());
    CHECK(install(root->hash)->status == "Pending");
    station_answers(R"({"status":"Accepted"})");
    CHECK(install(root->hash)->status == "Accepted");
  }
  install_now();
  booted();
  advance(1h);
  CHECK(calls() == roots.size());
}

TEST_CASE_METHOD(Fixture,
                 "several roots to install go one InstallCertificate at a time: the next only after the station "
                 "answered the previous one",
                 "[pnc][install]") {
  // Handing them all to the station actor at once would queue them there, where each waits at most
  // one call timeout and max_queued_calls bounds the queue: a slow station would leave the later
  // ones "not sent".
  const auto first = put_install("CSMS", local_pki.csms_root().certificate());
  const auto second = put_install("V2G", local_pki.v2g_root().certificate());
  install_now();
  CHECK(calls() == 1);
  station_answers(R"({"status":"Accepted"})");
  CHECK(calls() == 2);
  station_answers(R"({"status":"Accepted"})");
  CHECK(install(first)->status == "Accepted");
  CHECK(install(second)->status == "Accepted");
}

TEST_CASE_METHOD(Fixture,
                 "TC_M_05_CSMS: an InstallCertificate answered Rejected or Failed is stored so, with what the station "
                 "answered, and not sent again",
                 "[pnc][install]") {
  const auto v2g = put_install("V2G", local_pki.v2g_root().certificate());
  const auto mo = put_install("MO", local_pki.v2g_signing_ca().certificate());
  install_now();
  REQUIRE(calls() == 1);
  const auto rejected = hash_of(v201_request<ocpp201::InstallCertificateRequest>(0).certificate);
  clock.advance(250);
  station_answers(R"({"status":"Rejected"})");
  REQUIRE(calls() == 2);  // an answer, even a refusal, lets the next one go
  const auto failed = hash_of(v201_request<ocpp201::InstallCertificateRequest>(1).certificate);
  CHECK(((rejected == v2g && failed == mo) || (rejected == mo && failed == v2g)));
  station_answers(R"({"status":"Failed"})");
  auto stored = install(rejected);
  CHECK(stored->status == "Rejected");
  CHECK(stored->detail == "the station answered Rejected");
  CHECK(stored->updated_at_ms == kNow + 250);
  stored = install(failed);
  CHECK(stored->status == "Failed");
  CHECK(stored->detail == "the station answered Failed");
  // No longer Pending: not sent again, at a boot or otherwise.
  install_now();
  booted();
  advance(1h);
  CHECK(calls() == 2);
}

TEST_CASE_METHOD(Fixture,
                 "an InstallCertificate answered with a CALLERROR, or not answered, stays Pending with why, is not "
                 "sent again while the station stays connected, and goes again at its next boot",
                 "[pnc][install]") {
  const auto hash = put_install("CSMS", local_pki.csms_root().certificate());
  install_now();
  REQUIRE(calls() == 1);

  clock.advance(100);
  station_answers(call_error("NotImplemented", "InstallCertificate is not implemented"));
  auto stored = install(hash);
  CHECK(stored->status == "Pending");
  CHECK(stored->detail == "CALLERROR NotImplemented: InstallCertificate is not implemented");
  CHECK(stored->updated_at_ms == kNow + 100);
  advance(1h);
  CHECK(calls() == 1);  // no retry timer
  booted();
  REQUIRE(calls() == 2);

  // The station actor's call timeout.
  station_answers(not_answered(CsmsCallResult::Kind::timeout, "no answer within 30 s"));
  stored = install(hash);
  CHECK(stored->status == "Pending");
  CHECK(stored->detail == "no answer within 30 s");
  advance(1h);
  CHECK(calls() == 2);
  booted();
  REQUIRE(calls() == 3);

  // Given up in the station actor's queue, never sent (the station was busy with other calls).
  station_answers(
      not_answered(CsmsCallResult::Kind::not_sent, "not sent: the station was busy: withdrawn", /*sent=*/false));
  stored = install(hash);
  CHECK(stored->status == "Pending");
  CHECK(stored->detail == "not sent: the station was busy: withdrawn");
  install_now();  // the API's word sends it again as well
  REQUIRE(calls() == 4);

  // No word from the station actor at all: the security actor's own deadline (one call timeout
  // queued, one sent, a 10 s margin) ends the wait and withdraws the call.
  advance(70s - 1ms);
  CHECK(events().back() == "InstallCertificate");
  CHECK(install(hash)->detail == "not sent: the station was busy: withdrawn");
  advance(1ms);
  CHECK(events().back() == "withdraw");
  CHECK(waiting() == 0);
  stored = install(hash);
  CHECK(stored->status == "Pending");
  CHECK_THAT(stored->detail, Catch::StartsWith("no word from the station's connection in time"));

  // The station goes away with the call out.
  booted();
  REQUIRE(calls() == 5);
  disconnect();
  station_answers(not_answered(CsmsCallResult::Kind::disconnected, "the station's connection ended"));
  CHECK(install(hash)->status == "Pending");
  CHECK(install(hash)->detail == "the station's connection ended");
  booted();  // a boot notice of a station not connected here: nothing to send it to
  advance(1h);
  CHECK(calls() == 5);

  connect();
  booted();
  REQUIRE(calls() == 6);
  station_answers(R"({"status":"Accepted"})");
  stored = install(hash);
  CHECK(stored->status == "Accepted");
  CHECK(stored->detail.empty());
}

TEST_CASE_METHOD(Fixture,
                 "installs asked for while the station is offline wait for it: at its next boot each Pending install "
                 "goes once, however many boot notices come",
                 "[pnc][install]") {
  disconnect();
  const auto csms = put_install("CSMS", local_pki.csms_root().certificate());
  const auto mf = put_install("MF", local_pki.cpo_sub_ca().certificate());
  install_now();
  advance(1h);
  CHECK(calls() == 0);
  CHECK(install(csms)->status == "Pending");
  CHECK(install(csms)->detail.empty());
  CHECK(install(mf)->status == "Pending");

  connect();
  // Two boot notices close together (a quick reconnect).
  caf::anon_send(security, booted_atom::value, kStation);
  caf::anon_send(security, booted_atom::value, kStation);
  settle();
  REQUIRE(events() == std::vector<std::string>{"InstallCertificate"});
  station_answers(R"({"status":"Accepted"})");
  REQUIRE(events() == std::vector<std::string>{"InstallCertificate", "InstallCertificate"});
  std::vector<std::string> sent = {hash_of(v201_request<ocpp201::InstallCertificateRequest>(0).certificate),
                                   hash_of(v201_request<ocpp201::InstallCertificateRequest>(1).certificate)};
  std::sort(sent.begin(), sent.end());
  std::vector<std::string> stored = {csms, mf};
  std::sort(stored.begin(), stored.end());
  CHECK(sent == stored);
  station_answers(R"({"status":"Accepted"})");
  CHECK(install(csms)->status == "Accepted");
  CHECK(install(mf)->status == "Accepted");
  booted();
  CHECK(calls() == 2);
}

TEST_CASE_METHOD(Fixture,
                 "1.6: a station gets the CSMS and manufacturer roots as the security extension's InstallCertificate, "
                 "and its 1.6 answers are stored",
                 "[pnc][install][ocpp16]") {
  connect_as_16();
  const auto csms = put_install("CSMS", local_pki.csms_root().certificate());
  const auto mf = put_install("MF", local_pki.cpo_sub_ca().certificate());
  install_now();
  REQUIRE(events() == std::vector<std::string>{"InstallCertificate"});
  std::string accepted;
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(calls() == i + 1);
    const auto& request = v16_request<ocpp16::InstallCertificateRequest>(i);
    const auto hash = hash_of(request.certificate);
    if (hash == csms) {
      CHECK(request.certificateType == ocpp16::CertificateUseEnumType::CentralSystemRootCertificate);
      CHECK(request.certificate == local_pki.csms_root().certificate().pem());
    } else {
      CHECK(hash == mf);
      CHECK(request.certificateType == ocpp16::CertificateUseEnumType::ManufacturerRootCertificate);
      CHECK(request.certificate == local_pki.cpo_sub_ca().certificate().pem());
    }
    if (i == 0) accepted = hash;
    station_answers(i == 0 ? R"({"status":"Accepted"})" : R"({"status":"Failed"})");  // InstallCertificate.conf
  }
  const auto failed = accepted == csms ? mf : csms;
  CHECK(install(accepted)->status == "Accepted");
  CHECK(install(accepted)->detail.empty());
  CHECK(install(failed)->status == "Failed");
  CHECK(install(failed)->detail == "the station answered Failed");
  booted();
  CHECK(calls() == 2);
}

TEST_CASE_METHOD(Fixture,
                 "1.6: a station gets the V2G and MO roots as DataTransfer iso15118pnc carrying the 2.0.1 "
                 "InstallCertificate, the 2.0.1 answer in DataTransfer.conf data is stored, and a DataTransfer.conf "
                 "without one leaves the install Pending for the next boot",
                 "[pnc][install][ocpp16][iso15118pnc]") {
  connect_as_16();
  const auto v2g = put_install("V2G", local_pki.v2g_root().certificate());
  const auto mo = put_install("MO", local_pki.v2g_signing_ca().certificate());
  install_now();
  REQUIRE(events() == std::vector<std::string>{"DataTransfer"});
  std::vector<std::string> order;
  for (std::size_t i = 0; i < 2; ++i) {
    if (i == 1) {
      station_answers(transfer_conf(R"({"status":"Accepted"})"));
      CHECK(install(order[0])->status == "Accepted");
      CHECK(install(order[0])->detail.empty());
      REQUIRE(events() == std::vector<std::string>{"DataTransfer", "DataTransfer"});
    }
    const auto request = wrapped_request<ocpp201::InstallCertificateRequest>(i);
    order.push_back(hash_of(request.certificate));
    if (order.back() == v2g) {
      CHECK(request.certificateType == ocpp201::InstallCertificateUseEnumType::V2GRootCertificate);
      CHECK(request.certificate == local_pki.v2g_root().certificate().pem());
    } else {
      CHECK(order.back() == mo);
      CHECK(request.certificateType == ocpp201::InstallCertificateUseEnumType::MORootCertificate);
      CHECK(request.certificate == local_pki.v2g_signing_ca().certificate().pem());
    }
  }

  // A station without iso15118pnc refuses the transfer itself: not an answer to the install.
  station_answers(R"({"status":"UnknownVendorId"})");
  auto stored = install(order[1]);
  CHECK(stored->status == "Pending");
  CHECK(stored->detail == "DataTransfer.conf status UnknownVendorId without data");
  advance(1h);
  CHECK(calls() == 2);

  booted();  // only the one still Pending goes again
  REQUIRE(calls() == 3);
  CHECK(hash_of(wrapped_request<ocpp201::InstallCertificateRequest>(2).certificate) == order[1]);
  // data that is no InstallCertificateResponse: still no answer.
  station_answers(transfer_conf(R"({"certificate":"x"})"));
  stored = install(order[1]);
  CHECK(stored->status == "Pending");
  CHECK_THAT(stored->detail, Catch::StartsWith("DataTransfer.conf data is not an InstallCertificate response: "));

  booted();
  REQUIRE(calls() == 4);
  station_answers(transfer_conf(R"({"status":"Rejected"})"));
  stored = install(order[1]);
  CHECK(stored->status == "Rejected");
  CHECK(stored->detail == "the station answered Rejected");
  booted();
  CHECK(calls() == 4);
}

TEST_CASE_METHOD(Fixture,
                 "an install stored with a type the node does not know is marked Failed, naming the type, and "
                 "nothing is sent",
                 "[pnc][install]") {
  const auto hash = put_install("OEM", local_pki.csms_root().certificate());
  clock.advance(300);
  install_now();
  CHECK(calls() == 0);
  auto stored = install(hash);
  CHECK(stored->status == "Failed");
  CHECK(stored->detail == "unknown certificate type OEM");
  CHECK(stored->updated_at_ms == kNow + 300);
  booted();
  advance(1h);
  CHECK(calls() == 0);
}
