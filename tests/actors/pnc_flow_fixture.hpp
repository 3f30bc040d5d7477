#pragma once
// What the Plug & Charge flow tests (pnc_*_flow_test.cpp) share: the security actor under CAF 0.17's
// deterministic test coordinator (scheduler.policy "testing"; CAF's own test DSL runs under CAF's
// test runner, not Catch2, so the coordinator is driven directly), a fake station actor that records
// every message and answers CSMS calls only when the test says, the local PKI, a ManualClock and a
// TestCommitter (test_committer.hpp) that runs each write only when the test flushes it. Every
// delayed message waits for the test to move CAF's clock, so the tests assert each message exchanged
// and what the store holds after each step.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "tests/actors/call_results.hpp"
#include "tests/actors/test_committer.hpp"
#include "tests/storage/helpers.hpp"

namespace evbroker::actors::test {

using namespace std::chrono_literals;

/// (answer, CsmsCallResult) from the test to the fake station: answer the oldest call waiting.
using answer_atom = caf::atom_constant<caf::atom("answer")>;

inline constexpr std::int64_t kNow = 1'764'000'000'000;  // 2025-11-24T16:00:00Z
inline const std::string kStation = "CS1";
inline const std::string kStationCertificate = "ChargingStationCertificate";
inline const std::string kV2GCertificate = "V2GCertificate";
inline const std::string kPncVendor = "org.openchargealliance.iso15118pnc";

/// What the fake station saw, in order: "CALLRESULT <payload>" / "CALLERROR <description>" for the
/// answers to its own CALLs, "<Action>" for each CSMS call, "withdraw" when a caller gave one up.
struct StationLog {
  std::vector<std::string> events;
  std::vector<CsmsCall> calls;
  std::vector<CallReply> replies;
  std::deque<std::size_t> waiting;  // the calls (index in `calls`) not yet answered nor withdrawn, oldest first
};

struct FakeStationState {
  std::deque<caf::response_promise> waiting;  // parallel to StationLog::waiting
};

/// Stands in for a station actor: records everything and answers CSMS calls only when told to
/// (answer_atom), so a call can also stay unanswered. It takes only what the security actor sends
/// a station actor, so it is untyped and cast to a StationActor where one is expected (`as_station`).
inline caf::behavior fake_station(caf::stateful_actor<FakeStationState>* self, std::shared_ptr<StationLog> log) {
  return {
      [log](reply_atom, const CallReply& reply) {
        log->events.push_back(reply.ok ? "CALLRESULT " + reply.payload : "CALLERROR " + reply.description);
        log->replies.push_back(reply);
      },
      [self, log](csms_call_atom, const CsmsCall& call) {
        log->events.push_back(std::string(call.action.name()));
        log->calls.push_back(call);
        log->waiting.push_back(log->calls.size() - 1);
        self->state.waiting.push_back(self->make_response_promise());
      },
      [self, log](answer_atom, CsmsCallResult& result) {
        REQUIRE_FALSE(self->state.waiting.empty());
        auto promise = std::move(self->state.waiting.front());
        self->state.waiting.pop_front();
        log->waiting.pop_front();
        promise.deliver(std::move(result));
      },
      [self, log](withdraw_atom, std::uint64_t ticket) {
        log->events.push_back("withdraw");
        // The caller gave up on that call: nobody waits for its answer any more.
        for (std::size_t i = 0; i < log->waiting.size(); ++i) {
          if (log->calls[log->waiting[i]].ticket != ticket) continue;
          log->waiting.erase(log->waiting.begin() + static_cast<std::ptrdiff_t>(i));
          self->state.waiting.erase(self->state.waiting.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
      },
  };
}

inline caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

inline pki::LocalPki open_pki(const std::string& dir) {
  bool created = false;
  auto pki = pki::LocalPki::open_or_create(dir, {}, &created);
  if (!pki) throw std::runtime_error("local PKI: " + pki.error());
  return std::move(*pki);
}

inline std::unique_ptr<storage::Store> open_store(const std::string& dir) {
  storage::StoreOptions options;
  options.sync = false;  // nothing here needs to survive a power cut
  return storage::test::open_store(dir, options);
}

inline std::string csr_pem(std::string_view common_name) {
  auto key = pki::PrivateKey::generate_p256();
  REQUIRE(key.has_value());
  auto csr = pki::make_csr(*key, common_name, "Test Org");
  REQUIRE(csr.has_value());
  return csr->pem();
}

/// A CSMS call that got no answer of the station: `kind` with `description` as the station actor
/// reports it.
inline CsmsCallResult not_answered(CsmsCallResult::Kind kind, std::string description, bool sent = true) {
  CsmsCallResult result;
  result.kind = kind;
  result.error_description = std::move(description);
  result.sent = sent;
  return result;
}

/// A CALLERROR the station answered a CSMS call with.
inline CsmsCallResult call_error(std::string code, std::string description) {
  auto result = not_answered(CsmsCallResult::Kind::call_error, std::move(description));
  result.error_code = std::move(code);
  return result;
}

/// The 2.0.1 SignCertificate request as JSON (what 1.6 DataTransfer iso15118pnc carries in data).
inline std::string sign_request_json(const std::string& csr, const std::string& type) {
  ocpp201::SignCertificateRequest request;
  request.csr = csr;
  request.certificateType = type == kV2GCertificate
                                ? ocpp201::CertificateSigningUseEnumType::V2GCertificate
                                : ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate;
  return ocpp::to_json(request);
}

/// DataTransfer.conf as a 1.6 station answers a call wrapped for iso15118pnc: Accepted, with the
/// 2.0.1 response `data201` in data.
inline std::string transfer_conf(std::string_view data201) {
  ocpp16::DataTransferResponse response;
  response.status = ocpp16::DataTransferStatus::Accepted;
  response.data = std::string(data201);
  return ocpp::to_json(response);
}

struct Fixture;
/// Sets up the node's Plug & Charge settings before the security actor starts (it reads root_files
/// then); the fixture's directory and PKI already exist.
using ConfigurePnc = std::function<void(Fixture&, PncSettings&)>;

struct Fixture {
  Fixture() : Fixture(ConfigurePnc{}) {}
  explicit Fixture(const ConfigurePnc& configure) {
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
    if (configure) configure(*this, context->pnc);
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

  /// The station connects (the directory names its actor), speaking `version`.
  void connect(ocpp::Version version = ocpp::Version::v201) {
    StationDirectory::Entry entry;
    entry.actor = as_station();
    entry.version = version;
    entry.last_seen_ms = std::make_shared<std::atomic<std::int64_t>>(kNow);
    directory.attach(kStation, std::move(entry));
  }
  void disconnect() { directory.detach(kStation, as_station()); }
  /// The station is connected as a 1.6 one instead (the fixture starts with a 2.0.1 one).
  void connect_as_16() {
    disconnect();
    connect(ocpp::Version::v16);
  }
  StationActor as_station() const { return caf::actor_cast<StationActor>(station); }

  /// A CALL of the station as the station actor hands it to the security actor, without its payload.
  IncomingCall incoming(ocpp::Version version) {
    IncomingCall call;
    call.station = as_station();
    call.station_id = kStation;
    call.version = version;
    call.message_id = "m" + std::to_string(++message_ids);
    call.received = std::chrono::steady_clock::now();
    return call;
  }

  /// The station sends SignCertificate (2.0.1) as the station actor hands it to the security actor.
  void sign_certificate(const std::string& csr, const std::string& type = kStationCertificate) {
    ocpp201::SignCertificateRequest request;
    request.csr = csr;
    request.certificateType = type == kV2GCertificate
                                  ? ocpp201::CertificateSigningUseEnumType::V2GCertificate
                                  : ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate;
    auto call = incoming(ocpp::Version::v201);
    call.payload = ocpp::to_json(request);
    call.v201 = std::make_shared<const ocpp201::Request>(std::move(request));
    caf::anon_send(security, handle_atom::value, std::move(call));
  }

  /// The station sends the 1.6 security extension's SignCertificate.
  void sign_certificate_16(const std::string& csr) {
    ocpp16::SignCertificateRequest request;
    request.csr = csr;
    auto call = incoming(ocpp::Version::v16);
    call.payload = ocpp::to_json(request);
    call.v16 = std::make_shared<const ocpp16::Request>(std::move(request));
    caf::anon_send(security, handle_atom::value, std::move(call));
  }

  /// The station sends 1.6 DataTransfer iso15118pnc with `message_id` and `data`.
  void pnc_data_transfer(const std::string& message_id, std::optional<std::string> data) {
    ocpp16::DataTransferRequest request;
    request.vendorId = kPncVendor;
    request.messageId = message_id;
    request.data = std::move(data);
    auto call = incoming(ocpp::Version::v16);
    call.payload = ocpp::to_json(request);
    call.v16 = std::make_shared<const ocpp16::Request>(std::move(request));
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

  /// The fake station answers its oldest CSMS call not yet answered.
  void station_answers(CsmsCallResult result) {
    caf::anon_send(station, answer_atom::value, std::move(result));
    settle();
  }
  /// ... with a CALLRESULT of `payload`, decoded with that call's action as the station actor does.
  void station_answers(const std::string& payload) { station_answers(test::answered(oldest_waiting(), payload)); }

  const CsmsCall& oldest_waiting() const {
    REQUIRE_FALSE(station_log->waiting.empty());
    return station_log->calls[station_log->waiting.front()];
  }
  /// CSMS calls the station has not answered yet (and nobody withdrew).
  std::size_t waiting() const { return station_log->waiting.size(); }

  const CsmsCall& last_call() const {
    REQUIRE_FALSE(station_log->calls.empty());
    return station_log->calls.back();
  }
  const CsmsCall& call_at(std::size_t i) const {
    REQUIRE(station_log->calls.size() > i);
    return station_log->calls[i];
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
  /// CSMS call `i` as the 2.0.1 call of `Request201`.
  template <class Request201>
  const Request201& v201_request(std::size_t i) const {
    const auto& call = call_at(i);
    REQUIRE(call.action.version == ocpp::Version::v201);
    REQUIRE(call.action.name() == ocpp201::info(ocpp201::ActionOf<Request201>::value).name);
    REQUIRE(call.request.v201);
    const auto* request = std::get_if<Request201>(call.request.v201.get());
    REQUIRE(request != nullptr);
    return *request;
  }
  /// CSMS call `i` as the 1.6 call of `Request16`.
  template <class Request16>
  const Request16& v16_request(std::size_t i) const {
    const auto& call = call_at(i);
    REQUIRE(call.action.version == ocpp::Version::v16);
    REQUIRE(call.action.name() == ocpp16::info(ocpp16::ActionOf<Request16>::value).name);
    REQUIRE(call.request.v16);
    const auto* request = std::get_if<Request16>(call.request.v16.get());
    REQUIRE(request != nullptr);
    return *request;
  }
  /// CSMS call `i` as 1.6 DataTransfer iso15118pnc carrying the 2.0.1 `Request201`: that request,
  /// decoded from data.
  template <class Request201>
  Request201 wrapped_request(std::size_t i) const {
    const auto& transfer = v16_request<ocpp16::DataTransferRequest>(i);
    CHECK(transfer.vendorId == kPncVendor);
    REQUIRE(transfer.messageId == std::string(ocpp201::info(ocpp201::ActionOf<Request201>::value).name));
    REQUIRE(transfer.data.has_value());
    Request201 request;
    REQUIRE(ocpp::decode_payload(*transfer.data, request).has_value());
    return request;
  }
  /// The station's `i`-th answer to its own CALLs, a CALLRESULT decoded as `Response`.
  template <class Response>
  Response reply_as(std::size_t i) const {
    REQUIRE(station_log->replies.size() > i);
    REQUIRE(station_log->replies[i].ok);
    Response response;
    REQUIRE(ocpp::decode_payload(station_log->replies[i].payload, response).has_value());
    return response;
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

  /// A root to install, stored as POST /api/v0/cs/{csId}/certificates stores it
  /// (api/api_station_certificates.cpp): Pending, under install_key(station, the certificate's hash).
  /// Returns that hash.
  std::string put_install(const std::string& type, const pki::Certificate& certificate) {
    InstallRecord record;
    record.station_id = kStation;
    record.type = type;
    record.certificate = certificate.pem();
    record.certificate_hash = certificate.sha256_hash();
    record.status = "Pending";
    record.updated_at_ms = clock.now_ms();
    committer.submit(
        [record](storage::WriteTxn& txn) {
          txn.put(storage::Table::certificates, install_key(record.station_id, record.certificate_hash),
                  to_json(record));
        },
        [](const std::string& error) { REQUIRE(error.empty()); });
    committer.flush();
    return record.certificate_hash;
  }
  std::optional<InstallRecord> install(const std::string& certificate_hash) const {
    auto stored = store->read().get(storage::Table::certificates, install_key(kStation, certificate_hash));
    return stored ? parse_install_record(*stored) : std::nullopt;
  }
  /// The API's word after storing installs for a connected station (install_atom).
  void install_now() {
    caf::anon_send(security, install_atom::value, kStation);
    settle();
  }
  /// The station actor's word after the station's boot (booted_atom).
  void booted() {
    caf::anon_send(security, booted_atom::value, kStation);
    settle();
  }

  storage::test::TempDir dir;
  std::unique_ptr<storage::Store> store = open_store(dir / "store");
  TestCommitter committer{*store};
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

/// (answer, BackendReply) from the test to the fake back end: answer the oldest request waiting.
using backend_answer_atom = caf::atom_constant<caf::atom("banswer")>;

/// One request the security actor made of the back end: `kind` "enroll" (a = csrPem, renewal),
/// "contract" (a = exiRequest, b = schema version), "roots", or "ocsp" (a = responder URL, b = DER
/// OCSPRequest).
struct BackendRequest {
  std::string kind;
  std::string a;
  std::string b;
  bool renewal = false;
};

struct BackendLog {
  std::vector<BackendRequest> requests;
  std::deque<std::size_t> waiting;  // the requests (index in `requests`) not yet answered, oldest first
};

struct FakeBackendState {
  std::deque<caf::typed_response_promise<BackendReply>> waiting;  // parallel to BackendLog::waiting
};

/// The fake back end's handle: every message of BackendActor, and the test's word to answer. It is
/// a BackendActor where one is expected (Router::set_backend).
using FakeBackendActor = BackendActor::extend<caf::reacts_to<backend_answer_atom, BackendReply>>;

/// Stands in for the back-end actor (pnc/backend_actor.cpp): records each request and answers it
/// only when told to (backend_answer_atom), so a request can also fail or stay unanswered.
inline FakeBackendActor::behavior_type fake_backend(FakeBackendActor::stateful_base<FakeBackendState>* self,
                                                    std::shared_ptr<BackendLog> log) {
  auto wait = [self, log](BackendRequest request) {
    log->requests.push_back(std::move(request));
    log->waiting.push_back(log->requests.size() - 1);
    self->state.waiting.push_back(self->make_response_promise<BackendReply>());
    return self->state.waiting.back();
  };
  return {
      [wait](enroll_atom, const std::string& csr, bool renewal) {
        return wait(BackendRequest{"enroll", csr, {}, renewal});
      },
      [wait](contract_atom, const std::string& exi, const std::string& schema) {
        return wait(BackendRequest{"contract", exi, schema, false});
      },
      [wait](roots_atom) {
        return wait(BackendRequest{"roots", {}, {}, false});
      },
      [wait](ocsp_atom, const std::string& url, const std::string& der) {
        return wait(BackendRequest{"ocsp", url, der, false});
      },
      // The real actor's messages to itself: nobody else sends them, so they are only recorded.
      [log](http_atom, const HttpOutcome&) {
        log->requests.push_back(BackendRequest{"http", {}, {}, false});
      },
      [log](resend_atom, std::uint64_t) {
        log->requests.push_back(BackendRequest{"resend", {}, {}, false});
      },
      [self](stop_atom) { self->quit(); },
      [self, log](backend_answer_atom, BackendReply& reply) {
        REQUIRE_FALSE(self->state.waiting.empty());
        auto promise = std::move(self->state.waiting.front());
        self->state.waiting.pop_front();
        log->waiting.pop_front();
        promise.deliver(std::move(reply));
      },
  };
}

inline BackendReply backend_ok(std::string value) {
  BackendReply reply;
  reply.ok = true;
  reply.value = std::move(value);
  return reply;
}
inline BackendReply backend_failed(std::string error, int http_status) {
  BackendReply reply;
  reply.error = std::move(error);
  reply.http_status = http_status;
  return reply;
}

inline const std::string kHubjectUrl = "https://hubject.test";

/// The fixture with a fake back end in the Router and Hubject configured (hubject_url), unless
/// `configure` says otherwise.
struct BackendFixture : Fixture {
  BackendFixture() : BackendFixture(ConfigurePnc{}) {}
  explicit BackendFixture(const ConfigurePnc& configure)
      : Fixture([&configure](Fixture& f, PncSettings& pnc) {
          pnc.hubject_url = kHubjectUrl;
          if (configure) configure(f, pnc);
        }) {
    backend = sys.spawn(fake_backend, backend_log);
    router.set_backend(backend);
    sched.run();
  }
  ~BackendFixture() {
    caf::anon_send_exit(backend, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// The station sends a 2.0.1 `request` as the station actor hands it to the security actor.
  template <class Request201>
  void station_sends(Request201 request) {
    auto call = incoming(ocpp::Version::v201);
    call.payload = ocpp::to_json(request);
    call.v201 = std::make_shared<const ocpp201::Request>(std::move(request));
    caf::anon_send(security, handle_atom::value, std::move(call));
  }

  /// The fake back end answers its oldest request not yet answered.
  void backend_answers(BackendReply reply) {
    caf::anon_send(backend, backend_answer_atom::value, std::move(reply));
    settle();
  }
  const BackendRequest& backend_request(std::size_t i) const {
    REQUIRE(backend_log->requests.size() > i);
    return backend_log->requests[i];
  }
  const BackendRequest& oldest_backend_waiting() const {
    REQUIRE_FALSE(backend_log->waiting.empty());
    return backend_log->requests[backend_log->waiting.front()];
  }
  std::size_t backend_requests() const { return backend_log->requests.size(); }
  std::size_t backend_waiting() const { return backend_log->waiting.size(); }
  std::vector<std::string> backend_kinds() const {
    std::vector<std::string> kinds;
    for (const auto& r : backend_log->requests) kinds.push_back(r.kind);
    return kinds;
  }

  /// A token the authorization block accepts, stored as the API stores it.
  void put_token(const std::string& uid) {
    TokenRecord token;
    token.uid = uid;
    token.type = "AD_HOC_USER";
    token.valid = true;
    committer.submit([token](storage::WriteTxn& txn) { txn.put(storage::Table::tokens, token.uid, to_json(token)); },
                     [](const std::string& error) { REQUIRE(error.empty()); });
    committer.flush();
  }

  std::shared_ptr<BackendLog> backend_log = std::make_shared<BackendLog>();
  FakeBackendActor backend;
};

}  // namespace evbroker::actors::test
