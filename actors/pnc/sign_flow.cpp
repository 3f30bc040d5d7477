// SignCertificate -> (local CA or Hubject EST) -> CertificateSigned, event-driven: the station is
// answered once its request is stored, the certificate is signed right after, and CertificateSigned
// leaves as soon as it exists; a delivery that fails is retried with backoff until the station
// accepts it, and everything left undone is picked up again when the station boots.

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "actors/blocks/handler_kit.hpp"
#include "actors/pnc/security_internal.hpp"
#include "actors/station/csms_call.hpp"
#include "actors/station/station_id.hpp"
#include "pki/csr.hpp"
#include "pki/local_pki.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"

namespace evbroker::actors::pnc {
namespace {

constexpr std::string_view kStationCertificate = "ChargingStationCertificate";
constexpr std::string_view kV2GCertificate = "V2GCertificate";
constexpr std::chrono::seconds kMaxBackoff{300};

/// Why the CSR cannot be signed for this station ("" when it can). The station certificate's CN
/// must be the station id (OCPP A02/A03); an SECC certificate's CN must name the station
/// (secc_cn_names_station: SECC ids carry an EVSE prefix or suffix).
std::string csr_problem(const pki::CertificateRequest& csr, std::string_view station_id, std::string_view type) {
  if (!csr.signature_valid()) return "the CSR's signature does not verify with its public key";
  const auto cn = csr.subject_cn();
  if (type == kStationCertificate && cn != station_id)
    return "the CSR's CN '" + cn + "' is not the station id '" + std::string(station_id) + "'";
  if (type == kV2GCertificate && !secc_cn_names_station(cn, station_id))
    return "the CSR's CN '" + cn + "' does not name the station '" + std::string(station_id) +
           "' (it must be the id, or contain it between the CN's ends or characters other than letters and digits)";
  return {};
}

std::optional<SignRequestRecord> load(Self* self, std::string_view station_id, std::string_view type) {
  auto stored = self->state.ctx->store->read().get(storage::Table::certificates, sign_key(station_id, type));
  return stored ? parse_sign_request(*stored) : std::nullopt;
}

void store(Self* self, SignRequestRecord record, std::function<void(const std::string&)> done = {}) {
  self->state.ctx->committer->submit(
      [record](storage::WriteTxn& txn) {
        txn.put(storage::Table::certificates, sign_key(record.station_id, record.certificate_type), to_json(record));
      },
      [done = std::move(done)](const std::string& error) {
        if (done) done(error);
      });
}

/// Stores what became of `record`'s signing only while it is still the station's request of its
/// type: a newer SignCertificate (another CSR) may have replaced it while it was being signed
/// (Hubject answers in seconds), and the newer one must not be overwritten by the older's outcome.
/// The check runs inside the write, after any write submitted before it. `done(stored)` follows
/// the commit.
void store_outcome(Self* self, SignRequestRecord record, std::function<void(bool stored)> done) {
  auto superseded = std::make_shared<bool>(false);
  self->state.ctx->committer->submit(
      [record, superseded](storage::WriteTxn& txn) {
        const auto key = sign_key(record.station_id, record.certificate_type);
        const auto current = txn.get(storage::Table::certificates, key);
        const auto parsed = current ? parse_sign_request(*current) : std::nullopt;
        *superseded = !parsed || parsed->csr != record.csr;
        if (!*superseded) txn.put(storage::Table::certificates, key, to_json(record));
      },
      [self_log = self->state.ctx->pki_log, station = record.station_id, type = record.certificate_type, superseded,
       done = std::move(done)](const std::string& error) {
        if (*superseded)
          self_log->info("{}: {}: a newer SignCertificate replaced this request; its outcome is dropped", station,
                         type);
        done(error.empty() && !*superseded);
      });
}

void answer_sign(const PncRequest& r, bool accepted, std::string_view reason = {}, std::string_view detail = {}) {
  if (r.channel == SignChannel::v16) {
    // The 1.6 security extension's response: the status without statusInfo.
    ocpp16::SignCertificateResponse response;
    response.status = accepted ? ocpp16::GenericStatusEnumType::Accepted : ocpp16::GenericStatusEnumType::Rejected;
    return reply(r.call, ocpp::to_json(response));
  }
  ocpp201::SignCertificateResponse response;
  response.status = accepted ? ocpp201::GenericStatusEnumType::Accepted : ocpp201::GenericStatusEnumType::Rejected;
  if (!accepted) response.statusInfo = status_info(reason, detail);
  answer(r, ocpp::to_json(response));
}

/// The signed chain is stored, then delivered.
void on_signed(Self* self, SignRequestRecord record, const std::vector<pki::Certificate>& chain) {
  record.state = "Signed";
  record.certificate_chain = pki::to_pem_chain(chain);
  record.certificate_hash = chain.front().sha256_hash();
  record.signed_at_ms = self->state.ctx->clock->now_ms();
  record.last_error.clear();
  self->state.ctx->pki_log->info("{}: {} signed by {} in {} ms (serial {})", record.station_id, record.certificate_type,
                                 record.signer, record.signed_at_ms - record.requested_at_ms,
                                 chain.front().serial_hex());
  const auto station = record.station_id;
  const auto type = record.certificate_type;
  store_outcome(self, std::move(record), [me = caf::actor_cast<SecurityActor>(self), station, type](bool stored) {
    if (stored) caf::anon_send(me, retry_atom::value, station, type);
  });
}

void on_sign_failed(Self* self, SignRequestRecord record, const std::string& error) {
  self->state.ctx->pki_log->error("{}: signing {} failed: {}", record.station_id, record.certificate_type, error);
  record.state = "Failed";
  record.last_error = error;
  store_outcome(self, std::move(record), [](bool) {});
}

/// The CertificateSigned call for the wire the station asked on.
CsmsCall certificate_signed_call(const SignRequestRecord& record) {
  switch (record.channel) {
    case SignChannel::v16: {
      ocpp16::CertificateSignedRequest request;
      request.certificateChain = record.certificate_chain;
      return CsmsCall::of(std::move(request));
    }
    case SignChannel::v201:
    case SignChannel::v16_pnc: {
      ocpp201::CertificateSignedRequest request;
      request.certificateChain = record.certificate_chain;
      request.certificateType = record.certificate_type == kV2GCertificate
                                    ? ocpp201::CertificateSigningUseEnumType::V2GCertificate
                                    : ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate;
      if (record.channel == SignChannel::v201) return CsmsCall::of(std::move(request));
      return as_pnc_data_transfer(request);
    }
  }
  return {};
}

}  // namespace

void on_sign_certificate(Self* self, const PncRequest& r, const ocpp201::SignCertificateRequest& request) {
  const std::string type(request.certificateType ? ocpp201::to_string(*request.certificateType) : kStationCertificate);
  const auto& station_id = r.call.station_id;
  auto csr = pki::CertificateRequest::from_pem(request.csr);
  if (!csr) {
    self->state.ctx->pki_log->warn("{}: SignCertificate rejected: {}", station_id, csr.error());
    return answer_sign(r, false, "InvalidCSR", csr.error());
  }
  if (auto problem = csr_problem(*csr, station_id, type); !problem.empty()) {
    self->state.ctx->pki_log->warn("{}: SignCertificate rejected: {}", station_id, problem);
    return answer_sign(r, false, "InvalidCSR", problem);
  }
  SignRequestRecord record;
  if (auto previous = load(self, station_id, type)) record.renewal = previous->state == "Delivered";
  const bool use_hubject = type == kV2GCertificate && !self->state.ctx->pnc.hubject_url.empty();
  record.station_id = station_id;
  record.certificate_type = type;
  record.channel = r.channel;
  record.state = "Signing";
  record.signer = use_hubject ? "hubject" : "local";
  record.csr = request.csr;
  record.requested_at_ms = self->state.ctx->clock->now_ms();
  // Acknowledged means durable: Accepted goes out once the request is stored, and signing starts
  // right after (a restart in between re-signs the stored CSR at the next boot).
  store(self, std::move(record),
        [r, me = caf::actor_cast<SecurityActor>(self), station_id, type](const std::string& error) {
          if (!error.empty())
            return reply_error(r.call, ocpp::ErrorCode::internal_error, "could not store the request, please retry");
          answer_sign(r, true);
          caf::anon_send(me, sign_now_atom::value, station_id, type);
        });
}

void sign_stored_request(Self* self, const std::string& station_id, const std::string& certificate_type) {
  auto record = load(self, station_id, certificate_type);
  if (!record || record->state != "Signing") return;
  auto csr = pki::CertificateRequest::from_pem(record->csr);
  if (!csr) return on_sign_failed(self, std::move(*record), csr.error());
  if (record->signer == "hubject") {
    // EST simplereenroll when this station already had a V2G certificate delivered before.
    const bool renewal = record->renewal;
    self->request(self->state.ctx->router->backend(), caf::infinite, enroll_atom::value, record->csr, renewal)
        .then([self, record = *record](BackendReply& reply) mutable {
          if (!reply.ok) return on_sign_failed(self, std::move(record), reply.error);
          auto chain = pki::parse_pem_chain(reply.value);
          if (!chain || chain->empty())
            return on_sign_failed(self, std::move(record), "EST answer without a certificate");
          on_signed(self, std::move(record), *chain);
        });
    return;
  }
  const auto* local = self->state.ctx->local_pki;
  auto chain = certificate_type == kV2GCertificate ? local->sign_v2g(*csr) : local->sign_charging_station(*csr);
  if (!chain) return on_sign_failed(self, std::move(*record), chain.error());
  on_signed(self, std::move(*record), *chain);
}

void deliver_certificate(Self* self, const std::string& station_id, const std::string& certificate_type) {
  auto record = load(self, station_id, certificate_type);
  if (!record || record->state != "Signed") return;
  const auto key = sign_key(station_id, certificate_type);
  if (self->state.held.count(key)) return;  // being cancelled: the record goes, nothing to deliver
  if (!self->state.deliveries_in_flight.insert(key).second) return;  // one CertificateSigned at a time
  const auto channel = record->channel;
  request_csms_call(
      self, *self->state.ctx, station_id, certificate_signed_call(*record),
      [self, key, channel, record = *record](const CsmsCallResult& result) mutable {
        self->state.deliveries_in_flight.erase(key);
        std::string error;
        const auto inner =
            channel == SignChannel::v16_pnc ? std::optional(ocpp201::Action::CertificateSigned) : std::nullopt;
        const std::string status = answered_status(result, inner, self->state.ctx->settings.max_json_depth, error);
        // The record may have moved on (a newer request) while the call was out.
        auto current = load(self, record.station_id, record.certificate_type);
        if (!current || current->state != "Signed" || current->certificate_hash != record.certificate_hash) return;
        ++current->attempts;
        const auto& log = self->state.ctx->pki_log;
        if (status == "Accepted") {
          current->state = "Delivered";
          current->delivered_at_ms = self->state.ctx->clock->now_ms();
          current->last_error.clear();
          log->info("{}: {} delivered {} ms after the request", current->station_id, current->certificate_type,
                    current->delivered_at_ms - current->requested_at_ms);
          return store(self, std::move(*current));
        }
        current->last_error = error.empty() ? "CertificateSigned answered " + status : error;
        // Its registration no longer allowing the call counts as gone: it gets it after its next boot.
        const bool connected =
            result.kind != CsmsCallResult::Kind::disconnected && result.kind != CsmsCallResult::Kind::not_allowed;
        // Exponential backoff up to five minutes; a station that went away gets it at its next boot.
        const auto backoff =
            std::min(kMaxBackoff, std::chrono::seconds(1LL << std::min<std::int64_t>(current->attempts - 1, 9)));
        log->warn("{}: CertificateSigned not accepted ({}); {}", current->station_id, current->last_error,
                  connected ? "retrying in " + std::to_string(backoff.count()) + " s" : "retrying after the next boot");
        const auto station = current->station_id;
        const auto type = current->certificate_type;
        store(self, std::move(*current));
        if (connected) self->delayed_send(self, backoff, retry_atom::value, station, type);
      });
}

void on_station_booted(Self* self, const std::string& station_id) {
  for (const auto& record : sign_requests_of(self->state.ctx->store->read(), station_id)) {
    if (record.state == "Signing")
      sign_stored_request(self, station_id, record.certificate_type);
    else if (record.state == "Signed")
      deliver_certificate(self, station_id, record.certificate_type);
  }
  send_pending_installs(self, station_id);
}

}  // namespace evbroker::actors::pnc
