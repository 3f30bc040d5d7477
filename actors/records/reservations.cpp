#include "actors/records/reservations.hpp"

#include <algorithm>
#include <cctype>

namespace evbroker::actors {
namespace {

std::string reservations_prefix(std::string_view station) { return storage::prefix({station, "reservation"}); }

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::optional<ReservationRecord> load(const storage::Reader& reader, const std::string& key) {
  auto stored = reader.get(storage::Table::station_runtime, key);
  return stored ? parse_reservation_record(*stored) : std::nullopt;
}

}  // namespace

std::string reservation_key(std::string_view station, std::int64_t reservation_id) {
  return reservations_prefix(station) + std::to_string(reservation_id);
}

std::optional<ReservationRecord> load_reservation(const storage::Reader& reader, std::string_view station,
                                                  std::int64_t reservation_id) {
  return load(reader, reservation_key(station, reservation_id));
}

std::vector<ReservationRecord> station_reservations(const storage::Reader& reader, std::string_view station) {
  std::vector<ReservationRecord> out;
  reader.scan(storage::Table::station_runtime, reservations_prefix(station),
              [&](std::string_view, std::string_view value) {
                if (auto record = parse_reservation_record(value)) out.push_back(std::move(*record));
                return true;
              });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.reservation_id < b.reservation_id; });
  return out;
}

bool reservation_active(const ReservationRecord& reservation, std::int64_t now_ms) {
  return (reservation.status == "Accepted" || reservation.status == "Requested") && reservation.expiry_ms > now_ms;
}

std::string reservation_status(const ReservationRecord& reservation, std::int64_t now_ms) {
  if (reservation.status == "Accepted" && reservation.expiry_ms <= now_ms) return "Expired";
  return reservation.status;
}

bool store_reservation(storage::WriteTxn& txn, std::string_view station, const ReservationRecord& reservation,
                       std::int64_t now_ms) {
  const auto key = reservation_key(station, reservation.reservation_id);
  if (!txn.get(storage::Table::station_runtime, key)) {
    auto held = station_reservations(txn, station);
    if (held.size() >= kMaxReservationsPerStation) {
      // The one that ended longest ago goes.
      const ReservationRecord* oldest = nullptr;
      for (const auto& r : held)
        if (!reservation_active(r, now_ms) && (!oldest || r.updated_at_ms < oldest->updated_at_ms)) oldest = &r;
      if (!oldest) return false;
      txn.del(storage::Table::station_runtime, reservation_key(station, oldest->reservation_id));
    }
  }
  txn.put(storage::Table::station_runtime, key, to_json(reservation));
  return true;
}

bool mark_reservation_used(storage::WriteTxn& txn, std::string_view station, std::int64_t reservation_id,
                           std::string_view transaction_id, std::int64_t now_ms) {
  const auto key = reservation_key(station, reservation_id);
  auto record = load(txn, key);
  if (!record) return false;
  if (record->status == "Used" && record->transaction_id == transaction_id) return true;  // a replay
  record->status = "Used";
  record->transaction_id = std::string(transaction_id);
  record->detail.clear();
  record->updated_at_ms = now_ms;
  txn.put(storage::Table::station_runtime, key, to_json(*record));
  return true;
}

bool end_reservation(storage::WriteTxn& txn, std::string_view station, std::int64_t reservation_id,
                     std::string_view status, std::string_view detail, std::int64_t now_ms) {
  const auto key = reservation_key(station, reservation_id);
  auto record = load(txn, key);
  if (!record) return false;
  if (record->status == "Used") return true;  // the transaction that used it says more
  record->status = std::string(status);
  record->detail = std::string(detail);
  record->updated_at_ms = now_ms;
  txn.put(storage::Table::station_runtime, key, to_json(*record));
  return true;
}

std::optional<ReservationRecord> reservation_for_token(const storage::Reader& reader, std::string_view station,
                                                       std::string_view id_token, std::int64_t now_ms,
                                                       std::string_view own_transaction) {
  std::optional<ReservationRecord> found;
  reader.scan(
      storage::Table::station_runtime, reservations_prefix(station), [&](std::string_view, std::string_view value) {
        auto record = parse_reservation_record(value);
        const bool vouches = record && (reservation_active(*record, now_ms) ||
                                        (!own_transaction.empty() && record->transaction_id == own_transaction));
        if (vouches && same_token(record->id_tag, id_token)) {
          found = std::move(record);
          return false;
        }
        return true;
      });
  return found;
}

}  // namespace evbroker::actors
