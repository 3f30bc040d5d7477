// The provisioning block's records and its connector limit (actors/blocks/provisioning.hpp), on the
// in-memory store and on LMDB side by side (both_stores.hpp).

#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "actors/blocks/provisioning.hpp"
#include "actors/records/runtime_keys.hpp"
#include "protocol/date_time.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using evbroker::storage::Table;
using evbroker::storage::WriteTxn;

namespace {

const ocpp::DateTime kAt = ocpp::DateTime::from_unix_ms(kNow);

std::string status(BothStores& stores, std::int64_t evse, std::int64_t connector, std::string_view state,
                   std::size_t max_connectors = 128) {
  const auto record = provisioning::connector_status_record(evse, connector, state, std::nullopt, std::nullopt, kAt);
  return stores.run([&](WriteTxn& txn) {
    return provisioning::store_connector_status(txn, kStation, evse, connector, record, max_connectors);
  });
}

TEST_CASE("a connector's status record holds what the station said, 1.6 error code and info included",
          "[provisioning]") {
  CHECK(provisioning::connector_status_record(1, 2, "Occupied", std::nullopt, std::nullopt, kAt) ==
        R"({"evseId":1,"connectorId":2,"status":"Occupied","timestamp":"2025-11-24T16:00:00.000Z"})");
  CHECK(provisioning::connector_status_record(3, 3, "Faulted", "GroundFailure", std::string("RCD \"tripped\""), kAt) ==
        R"({"evseId":3,"connectorId":3,"status":"Faulted","errorCode":"GroundFailure","info":"RCD \"tripped\"",)"
        R"("timestamp":"2025-11-24T16:00:00.000Z"})");
}

TEST_CASE("a report is kept as sent, with when it arrived", "[provisioning]") {
  CHECK(provisioning::boot_record(kNow, R"({"reason":"PowerUp"})", Registration::accepted) ==
        R"({"bootedAt":"2025-11-24T16:00:00.000Z","payload":{"reason":"PowerUp"},"status":"Accepted"})");
  CHECK(provisioning::boot_record(kNow, R"({"reason":"Triggered"})", Registration::pending) ==
        R"({"bootedAt":"2025-11-24T16:00:00.000Z","payload":{"reason":"Triggered"},"status":"Pending"})");
  CHECK(provisioning::status_report_record(kNow, R"({"status": "Downloaded"})") ==
        R"({"timestamp":"2025-11-24T16:00:00.000Z","payload":{"status": "Downloaded"}})");
}

TEST_CASE("each connector's latest status replaces its entry", "[provisioning]") {
  BothStores stores;
  CHECK(status(stores, 1, 1, "Available") == "{}");
  CHECK(status(stores, 1, 1, "Occupied") == "{}");
  CHECK(status(stores, 2, 1, "Available") == "{}");
  CHECK(stores.count_with_prefix(Table::station_runtime, connector_prefix(kStation)) == 2);
  const auto stored = stores.reader().get(Table::station_runtime, connector_key(kStation, 1, 1));
  REQUIRE(stored);
  CHECK(stored->find(R"("status":"Occupied")") != std::string::npos);
}

TEST_CASE("a station cannot report more connectors than --station-max-connectors, known ones still update",
          "[provisioning][budget]") {
  BothStores stores;
  CHECK(status(stores, 1, 1, "Available", 2) == "{}");
  CHECK(status(stores, 1, 2, "Available", 2) == "{}");
  const auto before = stores.contents();
  CHECK(status(stores, 1, 3, "Available", 2) ==
        "error: this station already reported 2 connectors, the most the node keeps (--station-max-connectors): "
        "status not stored");
  CHECK(stores.contents() == before);
  CHECK(status(stores, 1, 2, "Occupied", 2) == "{}");
  // Another station has its own limit.
  const auto record = provisioning::connector_status_record(1, 3, "Available", std::nullopt, std::nullopt, kAt);
  CHECK(stores.run([&](WriteTxn& txn) { return provisioning::store_connector_status(txn, "CS2", 1, 3, record, 2); }) ==
        "{}");
}

}  // namespace
