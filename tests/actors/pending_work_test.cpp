// The work waiting for a station (actors/station/pending_work.hpp) and what of a settings call is
// still to send when its turn comes (settings.hpp still_pending), on both stores.

#include <catch2/catch.hpp>

#include <algorithm>

#include "actors/records/certificate_records.hpp"
#include "actors/station/pending_work.hpp"
#include "actors/station/settings.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::actors::test::BothStores;
using evbroker::actors::test::kNow;
using evbroker::actors::test::kStation;

namespace {

void put_setting(BothStores& stores, std::string key, std::string value, std::string status, std::int64_t at) {
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::settings, setting_key(kStation, key), setting_record(value, status, at));
    return std::string();
  });
}

void put_install(BothStores& stores, std::string hash, std::string status, std::string detail = {}) {
  InstallRecord record;
  record.station_id = std::string(kStation);
  record.type = "V2G";
  record.certificate = "PEM";
  record.certificate_hash = hash;
  record.status = std::move(status);
  record.detail = std::move(detail);
  record.updated_at_ms = kNow;
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::certificates, install_key(kStation, hash), to_json(record));
    return std::string();
  });
}

void put_sign(BothStores& stores, std::string type, std::string state) {
  SignRequestRecord record;
  record.station_id = std::string(kStation);
  record.certificate_type = std::move(type);
  record.state = std::move(state);
  record.certificate_hash = "leafhash";
  record.signed_at_ms = kNow + 5;
  record.attempts = 3;
  record.last_error = "CertificateSigned answered Rejected";
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::certificates, sign_key(kStation, record.certificate_type), to_json(record));
    return std::string();
  });
}

std::string cancel(BothStores& stores, std::string_view id) {
  return stores.run([&](storage::WriteTxn& txn) {
    auto removed = cancel_pending_work(txn, kStation, id);
    return removed ? std::string(to_string(removed->kind)) : std::string("none");
  });
}

}  // namespace

TEST_CASE("only what still waits for the station is listed, each with an id that fits a path segment", "[pending]") {
  BothStores stores;
  put_setting(stores, "OCPPCommCtrlr/HeartbeatInterval", "60", "Pending", kNow);
  put_setting(stores, "AuthCtrlr/Enabled", "true", "Accepted", kNow);  // answered: history
  put_install(stores, "hashA", "Pending", "InstallCertificate not answered: timeout");
  put_install(stores, "hashB", "Rejected");
  put_sign(stores, "V2GCertificate", "Signed");
  put_sign(stores, "ChargingStationCertificate", "Signing");  // waits for the CA, not the station

  const auto work = pending_work(stores.reader(), kStation);
  REQUIRE(work.size() == 3);
  CHECK(work[0].kind == PendingKind::setting);
  CHECK(work[0].setting_key == "OCPPCommCtrlr/HeartbeatInterval");
  CHECK(work[0].value == "60");
  CHECK(work[0].since_ms == kNow);
  CHECK(work[1].kind == PendingKind::certificate_install);
  CHECK(work[1].certificate_hash == "hashA");
  CHECK(work[1].last_outcome == "InstallCertificate not answered: timeout");
  CHECK(work[2].kind == PendingKind::certificate_signed);
  CHECK(work[2].certificate_type == "V2GCertificate");
  CHECK(work[2].attempts == 3);
  CHECK(work[2].since_ms == kNow + 5);
  for (const auto& w : work) {
    INFO(w.id);
    CHECK(w.id.find_first_of("/;+=% ") == std::string::npos);
    CHECK(w.id.rfind(std::string(to_string(w.kind)) + ".", 0) == 0);
  }
  // Stable: the same work has the same id when listed again, and another station sees none of it.
  CHECK(pending_work(stores.reader(), kStation)[0].id == work[0].id);
  CHECK(pending_work(stores.reader(), "CS2").empty());
}

TEST_CASE("cancelling removes exactly that work, and nothing once it no longer waits", "[pending]") {
  BothStores stores;
  put_setting(stores, "HeartbeatInterval", "60", "Pending", kNow);
  put_setting(stores, "MeterValueSampleInterval", "30", "Pending", kNow);
  put_install(stores, "hashA", "Pending");
  put_sign(stores, "V2GCertificate", "Signed");
  const auto work = pending_work(stores.reader(), kStation);
  REQUIRE(work.size() == 4);

  CHECK(cancel(stores, work[0].id) == "setting");
  CHECK_FALSE(stores.reader().get(storage::Table::settings, setting_key(kStation, "HeartbeatInterval")));
  CHECK(stores.reader().get(storage::Table::settings, setting_key(kStation, "MeterValueSampleInterval")));
  CHECK(cancel(stores, work[0].id) == "none");  // gone already
  CHECK(cancel(stores, work[2].id) == "certificateInstall");
  CHECK(cancel(stores, work[3].id) == "certificateSigned");
  CHECK_FALSE(stores.reader().get(storage::Table::certificates, sign_key(kStation, "V2GCertificate")));
  CHECK(cancel(stores, "setting.bm9uZQ") == "none");

  // Answered between the listing and the cancel: the answer is history and stays.
  put_setting(stores, "MeterValueSampleInterval", "30", "Accepted", kNow + 1);
  CHECK(cancel(stores, work[1].id) == "none");
  CHECK(stores.reader().get(storage::Table::settings, setting_key(kStation, "MeterValueSampleInterval")));
  CHECK(pending_work(stores.reader(), kStation).empty());
}

TEST_CASE("a settings call sends only what is still pending with its value and not held when its turn comes",
          "[pending][settings]") {
  BothStores stores;
  put_setting(stores, "A/One", "1", "Pending", kNow);
  put_setting(stores, "A/Two", "2", "Pending", kNow);
  put_setting(stores, "A/Three", "3", "Pending", kNow);
  put_setting(stores, "A/Four", "4", "Pending", kNow);
  auto calls = settings_calls(ocpp::Version::v201, pending_settings(stores.reader(), kStation));
  REQUIRE(calls.size() == 1);
  // Meanwhile: one cancelled, one given a newer value, one being cancelled (held).
  stores.run([&](storage::WriteTxn& txn) {
    txn.del(storage::Table::settings, setting_key(kStation, "A/One"));
    return std::string();
  });
  put_setting(stores, "A/Two", "22", "Pending", kNow + 1);
  const auto left = still_pending(stores.reader(), kStation, calls[0], {"A/Three"});
  REQUIRE(left.size() == 1);
  CHECK(left[0].key == "A/Four");
  CHECK(left[0].value == "4");
  CHECK(still_pending(stores.reader(), kStation, calls[0], {"A/Three", "A/Four"}).empty());
}
