// How NotifyReport fills table device_model (actors/blocks/device_model.hpp), on the in-memory store
// and on LMDB side by side (both_stores.hpp).

#include <catch2/catch.hpp>

#include <string>

#include "actors/blocks/device_model.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using evbroker::storage::Table;
using evbroker::storage::WriteTxn;

namespace {

std::string report(BothStores& stores, std::string_view json, const Budget& budget = StationBudgets{}.device_model) {
  const auto request = decoded<ocpp201::NotifyReportRequest>(json);
  return stores.run([&](WriteTxn& txn) { return device_model::store_report(txn, kStation, request, budget); });
}

std::string item(std::string_view component, std::string_view variable, std::string_view value) {
  return std::string(R"({"component":)") + std::string(component) + R"(,"variable":)" + std::string(variable) +
         R"(,"variableAttribute":[{"value":")" + std::string(value) + R"("}]})";
}

std::string notify(std::initializer_list<std::string> items) {
  std::string out = R"({"requestId":1,"generatedAt":"2025-11-24T16:00:00Z","seqNo":0,"reportData":[)";
  bool first = true;
  for (const auto& i : items) {
    if (!first) out += ',';
    first = false;
    out += i;
  }
  return out + "]}";
}

TEST_CASE("a device model entry is keyed by component, instance, EVSE, connector and variable", "[device_model]") {
  const auto component = decoded<ocpp201::ComponentType>(R"({"name":"Connector","evse":{"id":1,"connectorId":2}})");
  const auto with_instance = decoded<ocpp201::ComponentType>(R"({"name":"Connector","instance":"A"})");
  const auto variable = decoded<ocpp201::VariableType>(R"({"name":"Available"})");
  const auto variable_instance = decoded<ocpp201::VariableType>(R"({"name":"Power","instance":"Max"})");
  CHECK(device_model::report_key(kStation, component, variable) ==
        storage::key({kStation, "Connector;;1;2", "Available"}));
  CHECK(device_model::report_key(kStation, with_instance, variable_instance) ==
        storage::key({kStation, "Connector;A", "Power;Max"}));
}

TEST_CASE("the latest report of a variable replaces the one before", "[device_model]") {
  BothStores stores;
  CHECK(report(stores, notify({item(R"({"name":"OCPPCommCtrlr"})", R"({"name":"HeartbeatInterval"})", "300"),
                               item(R"({"name":"EVSE","evse":{"id":1}})", R"({"name":"Power"})", "22000")})) == "{}");
  CHECK(report(stores, notify({item(R"({"name":"OCPPCommCtrlr"})", R"({"name":"HeartbeatInterval"})", "60")})) == "{}");
  CHECK(stores.count(Table::device_model) == 2);
  const auto stored =
      stores.reader().get(Table::device_model, storage::key({kStation, "OCPPCommCtrlr", "HeartbeatInterval"}));
  REQUIRE(stored);
  CHECK(stored->find(R"("value":"60")") != std::string::npos);
}

TEST_CASE("a report that does not fit the station's device-model budget is refused as a whole",
          "[device_model][budget]") {
  BothStores stores;
  const Budget two_entries{2, 1 << 20};
  CHECK(report(stores, notify({item(R"({"name":"A"})", R"({"name":"X"})", "1")}), two_entries) == "{}");
  const auto before = stores.contents();
  CHECK(
      report(stores,
             notify({item(R"({"name":"B"})", R"({"name":"X"})", "1"), item(R"({"name":"C"})", R"({"name":"X"})", "1")}),
             two_entries)
          .starts_with("error: "));
  CHECK(stores.contents() == before);  // not even B, which would have fitted
  // Replacing a known entry fits.
  CHECK(report(stores, notify({item(R"({"name":"A"})", R"({"name":"X"})", "2")}), two_entries) == "{}");
}

}  // namespace
