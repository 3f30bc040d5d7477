#include "actors/station/pending_work.hpp"

#include "actors/records/certificate_records.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/station/settings.hpp"
#include "pki/x509.hpp"

namespace evbroker::actors {
namespace {

constexpr std::string_view kSigned = "Signed";  // SignRequestRecord: signed, not accepted by the station yet
constexpr std::string_view kPending = "Pending";

/// Appends every piece of work of `station` to `out`, read from `reader` (a read or the write's own
/// transaction: cancel_pending_work judges inside the write).
void collect(const storage::Reader& reader, std::string_view station, std::vector<PendingWork>& out) {
  const auto settings = storage::prefix({station});
  reader.scan(storage::Table::settings, settings, [&](std::string_view key, std::string_view value) {
    auto record = parse_setting_record(value);
    if (!record || record->status != kPending) return true;  // answered: history, not work
    PendingWork& w = out.emplace_back();
    w.kind = PendingKind::setting;
    w.setting_key = std::string(key.substr(settings.size()));
    w.id = pending_id(w.kind, w.setting_key);
    w.table = storage::Table::settings;
    w.store_key = std::string(key);
    w.value = std::move(record->value);
    w.since_ms = record->updated_at_ms;
    return true;
  });
  for (auto& record : installs_of(reader, station)) {
    if (record.status != kPending) continue;
    PendingWork& w = out.emplace_back();
    w.kind = PendingKind::certificate_install;
    w.id = pending_id(w.kind, record.certificate_hash);
    w.table = storage::Table::certificates;
    w.store_key = install_key(station, record.certificate_hash);
    w.certificate_type = std::move(record.type);
    w.certificate_hash = std::move(record.certificate_hash);
    w.since_ms = record.updated_at_ms;
    w.last_outcome = std::move(record.detail);  // why the last InstallCertificate went unanswered
  }
  for (auto& record : sign_requests_of(reader, station)) {
    if (record.state != kSigned) continue;
    PendingWork& w = out.emplace_back();
    w.kind = PendingKind::certificate_signed;
    w.id = pending_id(w.kind, record.certificate_type);
    w.table = storage::Table::certificates;
    w.store_key = sign_key(station, record.certificate_type);
    w.certificate_type = std::move(record.certificate_type);
    w.certificate_hash = std::move(record.certificate_hash);
    w.since_ms = record.signed_at_ms;
    w.attempts = record.attempts;
    w.last_outcome = std::move(record.last_error);
  }
}

}  // namespace

std::string_view to_string(PendingKind kind) {
  switch (kind) {
    case PendingKind::setting: return "setting";
    case PendingKind::certificate_install: return "certificateInstall";
    case PendingKind::certificate_signed: return "certificateSigned";
  }
  return "unknown";
}

std::string pending_id(PendingKind kind, std::string_view natural_key) {
  // base64url: a setting key holds '/' and ';', which a path segment should not need escaping for.
  return std::string(to_string(kind)) + '.' + pki::base64url_encode(natural_key);
}

std::vector<PendingWork> pending_work(const storage::Reader& reader, std::string_view station) {
  std::vector<PendingWork> out;
  collect(reader, station, out);
  return out;
}

std::optional<PendingWork> find_pending_work(const storage::Reader& reader, std::string_view station,
                                             std::string_view id) {
  // A station has at most --max-pending-settings settings and a handful of certificates: a scan
  // is cheap, and the id needs no decoding (nothing the client sends becomes a store key).
  for (auto& work : pending_work(reader, station))
    if (work.id == id) return std::move(work);
  return std::nullopt;
}

std::optional<PendingWork> cancel_pending_work(storage::WriteTxn& txn, std::string_view station, std::string_view id) {
  auto work = find_pending_work(txn, station, id);
  if (work) txn.del(work->table, work->store_key);
  return work;
}

}  // namespace evbroker::actors
