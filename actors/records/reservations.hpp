#pragma once
// Reservations the node made on stations (issue 14 item 7; OCPP 2.0.1 H01-H04, 1.6 Reservation):
// one ReservationRecord per station and reservation id, from the API's ReserveNow to how it ended:
// the station's answer, its ReservationStatusUpdate (Expired, Removed), a CancelReservation, or the
// transaction that used it. Written by the API (actors/api/api_reservations.cpp), the reservations
// block (ReservationStatusUpdate) and the transactions block; read by the authorization block, which
// accepts at a station the token a reservation there is for (H01.FR.23's "valid idToken" is the one
// the CSMS reserved for), and by the API's listing.
//
// Storage: station_runtime <id>\0reservation\0<reservationId> ReservationRecord. At most
// kMaxReservationsPerStation are kept per station: the oldest that ended make room for new ones.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/records/generated/record_types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

inline constexpr std::size_t kMaxReservationsPerStation = 1000;

std::string reservation_key(std::string_view station, std::int64_t reservation_id);
std::optional<ReservationRecord> load_reservation(const storage::Reader& reader, std::string_view station,
                                                  std::int64_t reservation_id);
/// The station's reservations, by reservation id.
std::vector<ReservationRecord> station_reservations(const storage::Reader& reader, std::string_view station);

/// Holds the station to it at `now_ms`: accepted (or sent without an answer, which the station may
/// have accepted) and not past its expiry.
bool reservation_active(const ReservationRecord& reservation, std::int64_t now_ms);
/// Its status as the API shows it: an accepted reservation past its expiry is Expired (a 1.6 station
/// says nothing when one expires).
std::string reservation_status(const ReservationRecord& reservation, std::int64_t now_ms);

/// Stores `reservation` (replacing one of the same id, as ReserveNow does on the station), making
/// room by deleting the oldest reservations that ended; false, and nothing stored, when the station
/// already holds kMaxReservationsPerStation that have not.
bool store_reservation(storage::WriteTxn& txn, std::string_view station, const ReservationRecord& reservation,
                       std::int64_t now_ms);

/// A transaction started on the reservation: Used, with the transaction's id. Unknown ids are left
/// alone (a reservation made outside the node). Returns whether it was one of the node's.
bool mark_reservation_used(storage::WriteTxn& txn, std::string_view station, std::int64_t reservation_id,
                           std::string_view transaction_id, std::int64_t now_ms);
/// The station ended it (2.0.1 ReservationStatusUpdate): `status` is Expired or Removed.
bool end_reservation(storage::WriteTxn& txn, std::string_view station, std::int64_t reservation_id,
                     std::string_view status, std::string_view detail, std::int64_t now_ms);

/// The active reservation at `station` for the token `id_token` (compared as 2.0.1 does, without
/// regard to case), or the one `own_transaction` used, if there is one.
std::optional<ReservationRecord> reservation_for_token(const storage::Reader& reader, std::string_view station,
                                                       std::string_view id_token, std::int64_t now_ms,
                                                       std::string_view own_transaction = {});

}  // namespace evbroker::actors
