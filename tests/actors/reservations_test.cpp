// Reservations the node keeps (actors/records/reservations.hpp) and the token verdict they vouch
// for (blocks/authorization.hpp honour_reservation), on both stores.

#include <catch2/catch.hpp>

#include "actors/blocks/authorization.hpp"
#include "actors/records/reservations.hpp"
#include "protocol/json_writer.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::actors::test::add_token;
using evbroker::actors::test::BothStores;
using evbroker::actors::test::kNow;
using evbroker::actors::test::kStation;

namespace {

ReservationRecord reservation(std::int64_t id, std::string tag, std::string status = "Accepted",
                              std::int64_t expiry_ms = kNow + 60'000) {
  ReservationRecord r;
  r.reservation_id = id;
  r.connector_id = 1;
  r.id_tag = std::move(tag);
  r.status = std::move(status);
  r.expiry_ms = expiry_ms;
  r.created_at_ms = kNow;
  r.updated_at_ms = kNow;
  return r;
}

std::string store(BothStores& stores, const ReservationRecord& r, std::int64_t now = kNow) {
  return stores.run([&](storage::WriteTxn& txn) {
    return std::string(store_reservation(txn, kStation, r, now) ? "stored" : "full");
  });
}

/// Authorize's 2.0.1 answer for `token` at kStation.
std::string authorize(BothStores& stores, std::string_view token, std::int64_t now = kNow,
                      std::string_view own_transaction = {}) {
  return stores.run([&](storage::WriteTxn& txn) {
    auto verdict = judge_token(txn, now, token);
    honour_reservation(txn, now, kStation, token, verdict, own_transaction);
    return ocpp::to_json(to_id_token_info(verdict));
  });
}

}  // namespace

TEST_CASE("A reservation is active while accepted (or unanswered) and before its expiry", "[reservations]") {
  CHECK(reservation_active(reservation(1, "A"), kNow));
  CHECK(reservation_active(reservation(1, "A", "Requested"), kNow));
  CHECK_FALSE(reservation_active(reservation(1, "A", "Rejected"), kNow));
  CHECK_FALSE(reservation_active(reservation(1, "A", "Used"), kNow));
  CHECK_FALSE(reservation_active(reservation(1, "A"), kNow + 60'000));
  CHECK(reservation_status(reservation(1, "A"), kNow + 60'000) == "Expired");  // 1.6 says nothing when it does
  CHECK(reservation_status(reservation(1, "A", "Cancelled"), kNow + 60'000) == "Cancelled");
}

TEST_CASE("ReserveNow with an id the station holds replaces the reservation", "[reservations]") {
  BothStores stores;
  CHECK(store(stores, reservation(7, "A")) == "stored");
  CHECK(store(stores, reservation(7, "B")) == "stored");
  auto held = station_reservations(stores.reader(), kStation);
  REQUIRE(held.size() == 1);
  CHECK(held[0].id_tag == "B");
}

TEST_CASE("A station holds at most kMaxReservationsPerStation: the oldest ended one makes room", "[reservations]") {
  BothStores stores;
  stores.run([&](storage::WriteTxn& txn) {
    for (std::size_t i = 0; i < kMaxReservationsPerStation; ++i) {
      auto r = reservation(static_cast<std::int64_t>(i), "T" + std::to_string(i));
      if (i == 5 || i == 9) {
        r.status = "Cancelled";
        r.updated_at_ms = kNow - static_cast<std::int64_t>(i);  // 9 ended first
      }
      REQUIRE(store_reservation(txn, kStation, r, kNow));
    }
    return std::string();
  });
  CHECK(store(stores, reservation(5000, "NEW")) == "stored");
  CHECK_FALSE(load_reservation(stores.reader(), kStation, 9));
  CHECK(load_reservation(stores.reader(), kStation, 5));
  CHECK(store(stores, reservation(5001, "NEW2")) == "stored");
  CHECK_FALSE(load_reservation(stores.reader(), kStation, 5));
  // Every one left is active: nothing more is stored.
  CHECK(store(stores, reservation(5002, "NEW3")) == "full");
  CHECK(station_reservations(stores.reader(), kStation).size() == kMaxReservationsPerStation);
}

TEST_CASE("A transaction uses a reservation; the station's update ends it; unknown ids are left alone",
          "[reservations]") {
  BothStores stores;
  store(stores, reservation(1, "A"));
  store(stores, reservation(2, "B"));
  auto answers = stores.run([&](storage::WriteTxn& txn) {
    std::string out;
    out += mark_reservation_used(txn, kStation, 1, "TX1", kNow + 5) ? "used " : "- ";
    out += end_reservation(txn, kStation, 2, "Removed", "the station removed it", kNow + 6) ? "ended " : "- ";
    out += mark_reservation_used(txn, kStation, 3, "TX3", kNow) ? "used" : "unknown";
    // An update after the transaction used it changes nothing.
    end_reservation(txn, kStation, 1, "Expired", "", kNow + 7);
    return out;
  });
  CHECK(answers == "used ended unknown");
  auto used = load_reservation(stores.reader(), kStation, 1);
  CHECK(used->status == "Used");
  CHECK(used->transaction_id == std::optional<std::string>("TX1"));
  CHECK(used->updated_at_ms == kNow + 5);
  CHECK(load_reservation(stores.reader(), kStation, 2)->status == "Removed");
}

TEST_CASE("TC_H_19: the token a reservation is for is accepted at its station, with its group, until it ends",
          "[reservations]") {
  BothStores stores;
  auto r = reservation(1, "GUEST");
  r.parent_id_tag = "FLEET";
  store(stores, r);
  CHECK(authorize(stores, "guest") == R"({"status":"Accepted","cacheExpiryDateTime":"2025-11-24T16:01:00.000Z",)"
                                      R"("groupIdToken":{"idToken":"FLEET","type":"Central"}})");
  CHECK(authorize(stores, "GUEST", kNow + 60'000) == R"({"status":"Unknown"})");  // expired
  CHECK(authorize(stores, "OTHER") == R"({"status":"Unknown"})");
  // A token the node knows keeps its own verdict.
  add_token(stores, "BLOCKED", false);
  store(stores, reservation(2, "BLOCKED"));
  CHECK(authorize(stores, "BLOCKED") == R"({"status":"Blocked"})");
  // Used by a transaction: it vouches for that transaction only.
  stores.run([&](storage::WriteTxn& txn) {
    mark_reservation_used(txn, kStation, 1, "TX1", kNow);
    return std::string();
  });
  CHECK(authorize(stores, "GUEST") == R"({"status":"Unknown"})");
  CHECK(authorize(stores, "GUEST", kNow, "TX1").find(R"("status":"Accepted")") != std::string::npos);
}
