// Roots the operator asked to install on a station (POST /api/v0/cs/{csId}/certificates): sent
// one InstallCertificate at a time as soon as the station is connected (now, or after its next
// boot), each answer stored on the record.

#include <spdlog/spdlog.h>

#include "actors/blocks/handler_kit.hpp"
#include "actors/station/csms_call.hpp"
#include "actors/pnc/security_internal.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"

namespace evbroker::actors::pnc {
namespace {

std::optional<ocpp201::InstallCertificateUseEnumType> v201_use(std::string_view maeve_type) {
  using U = ocpp201::InstallCertificateUseEnumType;
  if (maeve_type == "V2G") return U::V2GRootCertificate;
  if (maeve_type == "MO") return U::MORootCertificate;
  if (maeve_type == "CSMS") return U::CSMSRootCertificate;
  if (maeve_type == "MF") return U::ManufacturerRootCertificate;
  return std::nullopt;
}

/// The call for the station's version: 2.0.1 natively; 1.6 natively for the CSMS and
/// manufacturer roots (security extension) and through DataTransfer iso15118pnc for V2G and MO
/// (`wrapped`).
std::optional<CsmsCall> install_call(ocpp::Version version, const InstallRecord& record, bool& wrapped) {
  auto use = v201_use(record.type);
  if (!use) return std::nullopt;
  ocpp201::InstallCertificateRequest request;
  request.certificateType = *use;
  request.certificate = record.certificate;
  wrapped = false;
  if (version == ocpp::Version::v201) return CsmsCall::of(std::move(request));
  if (record.type == "CSMS" || record.type == "MF") {
    ocpp16::InstallCertificateRequest v16;
    v16.certificateType = record.type == "CSMS" ? ocpp16::CertificateUseEnumType::CentralSystemRootCertificate
                                                : ocpp16::CertificateUseEnumType::ManufacturerRootCertificate;
    v16.certificate = record.certificate;
    return CsmsCall::of(std::move(v16));
  }
  wrapped = true;
  return as_pnc_data_transfer(request);
}

void store(
    Self* self, const InstallRecord& record, storage::Completion done = [](const std::string&) {}) {
  self->state.ctx->committer->submit(
      [record](storage::WriteTxn& txn) {
        txn.put(storage::Table::certificates, install_key(record.station_id, record.certificate_hash), to_json(record));
      },
      std::move(done));
}

}  // namespace

// One InstallCertificate at a time per station, the next once the previous answer is stored (so
// the store no longer shows it Pending). A call the station did not answer (a CALLERROR, a
// timeout, the station gone) ends the round: what is still Pending goes at the next boot or
// install request, as with settings.
void send_pending_installs(Self* self, const std::string& station_id) {
  if (self->state.installing.count(station_id)) return;  // the round under way sends the rest
  auto entry = self->state.ctx->directory->find(station_id);
  if (!entry) return;  // after the next boot
  for (auto& record : installs_of(self->state.ctx->store->read(), station_id)) {
    if (record.status != "Pending") continue;
    const auto key = install_key(station_id, record.certificate_hash);
    if (self->state.held.count(key)) continue;  // being cancelled
    bool wrapped = false;
    auto call = install_call(entry->version, record, wrapped);
    if (!call) {
      record.status = "Failed";
      record.detail = "unknown certificate type " + record.type;
      record.updated_at_ms = self->state.ctx->clock->now_ms();
      store(self, record);
      continue;
    }
    self->state.installing.emplace(station_id, key);
    const auto inner = wrapped ? std::optional(ocpp201::Action::InstallCertificate) : std::nullopt;
    request_csms_call(
        self, *self->state.ctx, station_id, std::move(*call),
        [self, inner, record](const CsmsCallResult& result) mutable {
          std::string error;
          const std::string status = answered_status(result, inner, self->state.ctx->settings.max_json_depth, error);
          const bool answered = !status.empty();
          if (!answered) {
            // Not answered (gone, timed out, refused the call): stays Pending for the next round.
            self->state.ctx->pki_log->warn("{}: InstallCertificate {} not answered: {}", record.station_id, record.type,
                                           error);
            record.detail = error;
          } else {
            record.status = status == "Accepted" ? "Accepted" : status == "Rejected" ? "Rejected" : "Failed";
            record.detail = status == "Accepted" ? "" : "the station answered " + status;
            self->state.ctx->pki_log->info("{}: InstallCertificate {}: {}", record.station_id, record.type, status);
          }
          record.updated_at_ms = self->state.ctx->clock->now_ms();
          store(self, record,
                [me = caf::actor_cast<SecurityActor>(self), station = record.station_id, answered](const std::string&) {
                  caf::anon_send(me, installed_atom::value, station, answered);
                });
        });
    return;
  }
}

std::string hold_certificate_work(Self* self, const std::string& key) {
  for (const auto& [station, out] : self->state.installing)
    if (out == key) return "the InstallCertificate is being sent to " + station + " now; its answer decides it";
  if (self->state.deliveries_in_flight.count(key))
    return "the CertificateSigned is being sent to the station now; its answer decides it (a retry after a "
           "failed attempt can be cancelled)";
  self->state.held.insert(key);
  return {};
}

void on_install_stored(Self* self, const std::string& station_id, bool answered) {
  self->state.installing.erase(station_id);
  if (answered) send_pending_installs(self, station_id);
}

}  // namespace evbroker::actors::pnc
