// DataTransfer from an unknown vendor (actors/blocks/data_transfer.hpp), on the in-memory store and
// on LMDB side by side (both_stores.hpp).

#include <catch2/catch.hpp>

#include <string>

#include "actors/blocks/data_transfer.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using evbroker::storage::Table;
using evbroker::storage::WriteTxn;

namespace {

constexpr std::string_view kPayload = R"({"vendorId":"com.example","messageId":"hello","data":"42"})";

data_transfer::Outcome transfer(BothStores& stores, ocpp::Version version, const Budget& budget) {
  data_transfer::Outcome outcome;
  stores.run([&](WriteTxn& txn) {
    outcome = data_transfer::record(txn, version, kStation, kPayload, budget, kNow);
    return outcome.answer;
  });
  return outcome;
}

TEST_CASE("a DataTransfer of an unknown vendor is kept for an operator and answered UnknownVendorId",
          "[data_transfer]") {
  BothStores stores;
  const Budget budget = StationBudgets{}.events;
  const auto v16 = transfer(stores, ocpp::Version::v16, budget);
  CHECK(v16.answer == R"({"status":"UnknownVendorId"})");
  CHECK_FALSE(v16.refused);
  CHECK(transfer(stores, ocpp::Version::v201, budget).answer == R"({"status":"UnknownVendorId"})");
  std::string kept;
  stores.reader().scan(Table::events, storage::prefix({kStation}), [&](std::string_view, std::string_view value) {
    kept = std::string(value);
    return false;
  });
  CHECK(kept == std::string(R"({"timestamp":"2025-11-24T16:00:00.000Z","type":"DataTransfer","payload":)") +
                    std::string(kPayload) + "}");
  CHECK(stores.count_with_prefix(Table::events, storage::prefix({kStation})) == 2);
}

TEST_CASE("with the station's event budget full a DataTransfer is answered Rejected, saying why",
          "[data_transfer][budget]") {
  BothStores stores;
  const Budget one_event{1, 1 << 20};
  transfer(stores, ocpp::Version::v201, one_event);
  const auto v16 = transfer(stores, ocpp::Version::v16, one_event);
  CHECK(v16.refused);
  CHECK(v16.answer.starts_with(R"({"status":"Rejected","data":")"));
  const auto v201 = transfer(stores, ocpp::Version::v201, one_event);
  CHECK(v201.refused);
  CHECK(v201.answer.starts_with(R"({"status":"Rejected","statusInfo":{"reasonCode":"StorageFull","additionalInfo":")"));
  CHECK(stores.count_with_prefix(Table::events, storage::prefix({kStation})) == 1);
}

}  // namespace
