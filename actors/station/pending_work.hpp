#pragma once
// Work the node keeps for a station until it can be sent (GET/DELETE /api/v0/cs/{csId}/pending,
// api/api_station_pending.cpp). Nothing here is a queue of its own: each kind is already a record
// in the store, and the senders read the store before every send, so listing is a read and
// cancelling is one delete:
//
//   setting             table settings,     <station> \0 <key>           status Pending (settings.hpp)
//   certificateInstall  table certificates, install \0 <station> \0 <hash> status Pending (install_flow.cpp)
//   certificateSigned   table certificates, sign \0 <station> \0 <type>  state Signed: signed, not yet
//                       accepted by the station; CertificateSigned retried with backoff (sign_flow.cpp)
//
// A sign request still being signed (state Signing) waits for the CA, not for the station, and is
// not listed. Local-list updates have no durable queue yet (issue 14 item 6), so none are listed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

enum class PendingKind { setting, certificate_install, certificate_signed };
std::string_view to_string(PendingKind kind);  // "setting", "certificateInstall", "certificateSigned"

struct PendingWork {
  PendingKind kind = PendingKind::setting;
  /// Stable while the work waits, URL-safe: "<kind>.<base64url of its natural key>" (the setting's
  /// key, the certificate's hash, the certificate type), so any key fits in one path segment.
  std::string id;
  storage::Table table = storage::Table::settings;
  std::string store_key;                 // where the record is: what a cancel deletes
  std::string setting_key;               // setting
  std::string value;                     // setting
  std::string certificate_type;          // certificateInstall (MaEVe's V2G, MO, ...), certificateSigned
  std::string certificate_hash;          // certificateInstall, certificateSigned
  std::int64_t since_ms = 0;             // when it started to wait (stored, updated when re-asked)
  std::optional<std::int64_t> attempts;  // certificateSigned: CertificateSigned sent so far
  std::string last_outcome;              // why the last attempt did not complete, when known
};

std::string pending_id(PendingKind kind, std::string_view natural_key);

/// Everything waiting for `station`, settings first (in key order), then installs, then deliveries.
std::vector<PendingWork> pending_work(const storage::Reader& reader, std::string_view station);

/// The work of `station` with this id, if it still waits.
std::optional<PendingWork> find_pending_work(const storage::Reader& reader, std::string_view station,
                                             std::string_view id);

/// Removes the work with this id when it still waits, read in the write itself: a setting the
/// station answered, an install or a delivery completed meanwhile is history and stays. Returns the
/// work removed, nullopt when there was none.
std::optional<PendingWork> cancel_pending_work(storage::WriteTxn& txn, std::string_view station, std::string_view id);

}  // namespace evbroker::actors
