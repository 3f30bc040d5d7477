// The Plug & Charge sign flow (pnc/sign_flow.cpp) step by step, under CAF 0.17's deterministic test
// coordinator (scheduler.policy "testing"; CAF's own test DSL runs under CAF's test runner, not
// Catch2, so the coordinator is driven directly): the security actor takes a station's
// SignCertificate, stores it, answers, signs the CSR with the local PKI, stores the chain and sends
// CertificateSigned to a fake station actor, which answers as each test says. Every write goes
// through a TestCommitter (test_committer.hpp) that runs it only when the test flushes it, and every
// delayed message waits for the test to move CAF's clock, so the tests assert each message exchanged
// and what the store holds after each step.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/router.hpp"
#include "actors/core/station_directory.hpp"
#include "actors/pnc/security_actor.hpp"
#include "actors/records/certificate_records.hpp"
#include "pki/csr.hpp"
#include "pki/local_pki.hpp"
#include "pki/x509.hpp"
#include "protocol/decode.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "tests/actors/call_results.hpp"
#include "tests/actors/test_committer.hpp"
#include "tests/storage/helpers.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace std::chrono_literals;

namespace {

/// (answer, CsmsCallResult) from the test to the fake station: answer the oldest call waiting.
using answer_atom = caf::atom_constant<caf::atom("answer")>;

constexpr std::int64_t kNow = 1'764'000'000'000;  // 2025-11-24T16:00:00Z
const std::string kStation = "CS1";
const std::string kStationCertificate = "ChargingStationCertificate";
const std::string kV2GCertificate = "V2GCertificate";

/// What the fake station saw, in order: "CALLRESULT <payload>" / "CALLERROR <description>" for the
/// answers to its own CALLs, "<Action>" for each CSMS call, "withdraw" when a caller gave one up.
struct StationLog {
  std::vector<std::string> events;
  std::vector<CsmsCall> calls;
  std::vector<CallReply> replies;
};

struct FakeStationState {
  std::deque<caf::response_promise> waiting;  // CSMS calls not yet answered, oldest first
};

/// Stands in for a station actor: records everything and answers CSMS calls only when told to
/// (answer_atom), so a call can also stay unanswered. It takes only what the security actor sends
/// a station actor, so it is untyped and cast to a StationActor where one is expected (`as_station`).
caf::behavior fake_station(caf::stateful_actor<FakeStationState>* self, std::shared_ptr<StationLog> log) {
  return {
      [log](reply_atom, const CallReply& reply) {
        log->events.push_back(reply.ok ? "CALLRESULT " + reply.payload : "CALLERROR " + reply.description);
        log->replies.push_back(reply);
      },
      [self, log](csms_call_atom, const CsmsCall& call) {
        log->events.push_back(std::string(call.action.name()));
        log->calls.push_back(call);
        self->state.waiting.push_back(self->make_response_promise());
      },
      [self](answer_atom, CsmsCallResult& result) {
        REQUIRE_FALSE(self->state.waiting.empty());
        auto promise = std::move(self->state.waiting.front());
        self->state.waiting.pop_front();
        promise.deliver(std::move(result));
      },
      [self, log](withdraw_atom, std::uint64_t) {
        log->events.push_back("withdraw");
        // The caller gave up on its oldest call: nobody waits for that answer any more.
        if (!self->state.waiting.empty()) self->state.waiting.pop_front();
      },
  };
}

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

pki::LocalPki open_pki(const std::string& dir) {
  bool created = false;
  auto pki = pki::LocalPki::open_or_create(dir, {}, &created);
  if (!pki) throw std::runtime_error("local PKI: " + pki.error());
  return std::move(*pki);
}

std::unique_ptr<storage::Store> open_store(const std::string& dir) {
  storage::StoreOptions options;
  options.sync = false;  // nothing here needs to survive a power cut
  return storage::test::open_store(dir, options);
}

std::string csr_pem(std::string_view common_name) {
  auto key = pki::PrivateKey::generate_p256();
  REQUIRE(key.has_value());
  auto csr = pki::make_csr(*key, common_name, "Test Org");
  REQUIRE(csr.has_value());
  return csr->pem();
}

struct Fixture {
  Fixture() {
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto context = std::make_shared<NodeContext>();
    context->settings.call_timeout = 30s;
    context->clock = &clock;
    context->store = store.get();
    context->committer = &committer;
    context->directory = &directory;
    context->router = &router;
    context->local_pki = &local_pki;
    context->station_log = log;
    context->handler_log = log;
    context->pki_log = log;
    ctx = context;
    security = spawn_security_actor(sys, ctx);
    station = sys.spawn(fake_station, station_log);
    connect();
    sched.run();
  }

  ~Fixture() {
    caf::anon_send_exit(security, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(station, caf::exit_reason::user_shutdown);
    sched.run();
    committer.flush();
    sched.run();
  }

  void connect() {
    StationDirectory::Entry entry;
    entry.actor = as_station();
    entry.version = ocpp::Version::v201;
    entry.last_seen_ms = std::make_shared<std::atomic<std::int64_t>>(kNow);
    directory.attach(kStation, std::move(entry));
  }
  void disconnect() { directory.detach(kStation, as_station()); }
  StationActor as_station() const { return caf::actor_cast<StationActor>(station); }

  /// The station sends SignCertificate (2.0.1) as the station actor hands it to the security actor.
  void sign_certificate(const std::string& csr, const std::string& type = kStationCertificate) {
    ocpp201::SignCertificateRequest request;
    request.csr = csr;
    request.certificateType = type == kV2GCertificate
                                  ? ocpp201::CertificateSigningUseEnumType::V2GCertificate
                                  : ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate;
    IncomingCall call;
    call.station = as_station();
    call.station_id = kStation;
    call.version = ocpp::Version::v201;
    call.message_id = "m" + std::to_string(++message_ids);
    call.payload = ocpp::to_json(request);
    call.v201 = std::make_shared<const ocpp201::Request>(std::move(request));
    call.received = std::chrono::steady_clock::now();
    caf::anon_send(security, handle_atom::value, std::move(call));
  }

  /// Runs every message and every write until neither is left (no time passes).
  void settle() {
    while (sched.run() + committer.flush() > 0) {
    }
  }
  /// Moves CAF's clock (delayed messages, request deadlines) and settles.
  void advance(caf::timespan by) {
    sched.advance_time(by);
    settle();
  }

  /// The fake station answers its oldest CSMS call.
  void station_answers(CsmsCallResult result) {
    caf::anon_send(station, answer_atom::value, std::move(result));
    settle();
  }
  void station_answers(const std::string& payload) { station_answers(test::answered(last_call(), payload)); }

  const CsmsCall& last_call() const {
    REQUIRE_FALSE(station_log->calls.empty());
    return station_log->calls.back();
  }
  const ocpp201::CertificateSignedRequest& certificate_signed(std::size_t i) const {
    REQUIRE(station_log->calls.size() > i);
    const auto& call = station_log->calls[i];
    REQUIRE(call.action.name() == "CertificateSigned");
    REQUIRE(call.request.v201);
    const auto* request = std::get_if<ocpp201::CertificateSignedRequest>(call.request.v201.get());
    REQUIRE(request != nullptr);
    return *request;
  }

  std::optional<SignRequestRecord> record(const std::string& type = kStationCertificate) const {
    auto stored = store->read().get(storage::Table::certificates, sign_key(kStation, type));
    return stored ? parse_sign_request(*stored) : std::nullopt;
  }
  std::size_t certificate_entries() const { return store->read().count(storage::Table::certificates); }
  std::size_t calls() const { return station_log->calls.size(); }
  const std::vector<std::string>& events() const { return station_log->events; }

  /// The station sent SignCertificate and was answered; the CSR is signed and CertificateSigned is
  /// on its way, waiting for the station's answer.
  void signed_and_sent(const std::string& type = kStationCertificate) {
    sign_certificate(csr_pem(kStation), type);
    settle();
    REQUIRE(events() == std::vector<std::string>{R"(CALLRESULT {"status":"Accepted"})", "CertificateSigned"});
  }

  storage::test::TempDir dir;
  std::unique_ptr<storage::Store> store = open_store(dir / "store");
  test::TestCommitter committer{*store};
  pki::LocalPki local_pki = open_pki(dir / "pki");
  ManualClock clock{kNow};
  StationDirectory directory;
  Router router;
  NodeContextPtr ctx;
  std::shared_ptr<StationLog> station_log = std::make_shared<StationLog>();
  int message_ids = 0;

  caf::actor_system_config cfg;
  caf::actor_system sys{testing_config(cfg)};
  caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  SecurityActor security;
  caf::actor station;
};

CsmsCallResult not_answered(CsmsCallResult::Kind kind, std::string description, bool sent = true) {
  CsmsCallResult result;
  result.kind = kind;
  result.error_description = std::move(description);
  result.sent = sent;
  return result;
}

}  // namespace

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
                 "a signed chain that could not be stored is not sent; the stored CSR is signed again at the next "
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
