// The transaction block's rules (actors/blocks/transactions.hpp) as unit tests, without actors or
// sockets, each step on the in-memory store and on LMDB side by side (both_stores.hpp). 2.0.1 cases
// are named after the OCPP 2.0.1 CSMS conformance test case they cover (by its id); the rest after
// the rule.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "actors/blocks/authorization.hpp"
#include "actors/blocks/transactions.hpp"
#include "actors/records/station_budget.hpp"
#include "actors/records/transaction_keys.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using evbroker::storage::Table;
using evbroker::storage::WriteTxn;

namespace {

// ---- OCPP 1.6 --------------------------------------------------------------------------------------

std::string start(BothStores& stores, std::string_view json, std::int64_t now = kNow) {
  const auto request = decoded<ocpp16::StartTransactionRequest>(json);
  return stores.run([&](WriteTxn& txn) { return transactions::start_16(txn, now, kStation, request); });
}

std::string stop(BothStores& stores, std::string_view json, const StationBudgets& budgets = {},
                 bool* review_record_lost = nullptr) {
  const auto request = decoded<ocpp16::StopTransactionRequest>(json);
  return stores.run([&](WriteTxn& txn) {
    bool lost = false;
    auto answer = transactions::stop_16(txn, kNow, kStation, request, transactions::meter_value_forms(request), json,
                                        budgets, lost);
    if (review_record_lost) *review_record_lost = lost;
    return answer;
  });
}

std::string meter_values_16(BothStores& stores, std::string_view json, const StationBudgets& budgets = {}) {
  const auto request = decoded<ocpp16::MeterValuesRequest>(json);
  const auto forms = transactions::meter_value_forms(request);
  return stores.run(
      [&](WriteTxn& txn) { return transactions::meter_values_16(txn, kStation, request, forms, budgets); });
}

constexpr std::string_view kStartA =
    R"({"connectorId":1,"idTag":"TAG-A","meterStart":1000,"timestamp":"2025-11-24T15:00:00Z"})";

TEST_CASE("a 1.6 StartTransaction re-sent after a reconnect gets the transaction id it got the first time",
          "[transactions][v16]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  const auto first = start(stores, kStartA);
  CHECK(first == R"({"idTagInfo":{"status":"Accepted"},"transactionId":1})");
  CHECK(start(stores, kStartA) == first);
  CHECK(stores.count(Table::transactions) == 1);
  // A start that differs in anything (here the meter) is another transaction.
  CHECK(start(stores, R"({"connectorId":1,"idTag":"TAG-A","meterStart":1001,"timestamp":"2025-11-24T15:00:00Z"})") ==
        R"({"idTagInfo":{"status":"ConcurrentTx"},"transactionId":2})");
  CHECK(stores.count(Table::transactions) == 2);
}

TEST_CASE("a 1.6 start records the transaction whatever the token's verdict", "[transactions][v16]") {
  BothStores stores;
  add_token(stores, "BLOCKED", false);
  add_token(stores, "OLD", true, kNow - 1);
  CHECK(start(stores, R"({"connectorId":1,"idTag":"NOBODY","meterStart":0,"timestamp":"2025-11-24T15:00:00Z"})") ==
        R"({"idTagInfo":{"status":"Invalid"},"transactionId":1})");
  CHECK(start(stores, R"({"connectorId":2,"idTag":"BLOCKED","meterStart":0,"timestamp":"2025-11-24T15:00:00Z"})") ==
        R"({"idTagInfo":{"status":"Blocked"},"transactionId":2})");
  CHECK(start(stores, R"({"connectorId":3,"idTag":"OLD","meterStart":0,"timestamp":"2025-11-24T15:00:00Z"})") ==
        R"({"idTagInfo":{"status":"Expired"},"transactionId":3})");
  // The station decides what to do with a refused start; the CSMS keeps what happened.
  CHECK(stores.count(Table::transactions) == 3);
  REQUIRE(stores.transaction("2"));
  CHECK(stores.transaction("2")->id_token == "BLOCKED");
  // Only an accepted token holds the "active transaction" index that ConcurrentTx is judged from.
  CHECK(stores.count_with_prefix(Table::tx_index, active_token_key("")) == 0);
}

TEST_CASE("a 1.6 tag charging elsewhere gets ConcurrentTx until that transaction stops", "[transactions][v16]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  CHECK(start(stores, kStartA) == R"({"idTagInfo":{"status":"Accepted"},"transactionId":1})");
  constexpr std::string_view kOtherConnector =
      R"({"connectorId":2,"idTag":"TAG-A","meterStart":0,"timestamp":"2025-11-24T15:05:00Z"})";
  CHECK(start(stores, kOtherConnector) == R"({"idTagInfo":{"status":"ConcurrentTx"},"transactionId":2})");
  CHECK(stop(stores, R"({"transactionId":1,"idTag":"TAG-A","meterStop":1500,"timestamp":"2025-11-24T15:30:00Z"})") ==
        R"({"idTagInfo":{"status":"Accepted"}})");
  CHECK(start(stores, R"({"connectorId":2,"idTag":"TAG-A","meterStart":0,"timestamp":"2025-11-24T15:31:00Z"})") ==
        R"({"idTagInfo":{"status":"Accepted"},"transactionId":3})");
}

TEST_CASE("a 1.6 StopTransaction stops once: a replay is acknowledged and changes nothing", "[transactions][v16]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  start(stores, kStartA);
  constexpr std::string_view kStop =
      R"({"transactionId":1,"meterStop":4500,"timestamp":"2025-11-24T16:00:00Z","reason":"EVDisconnected"})";
  CHECK(stop(stores, kStop) == "{}");
  const auto stopped = stores.transaction("1");
  REQUIRE(stopped);
  CHECK(stopped->ended);
  CHECK(stopped->ended_at_ms == kNow);
  CHECK(stopped->stop_reason == "EVDisconnected");
  CHECK(stopped->energy_wh() == 3500.0);
  CHECK(stopped->events == 2);
  // The replay (say, after a reconnect that lost the answer) and a later stop with another meter.
  CHECK(stop(stores, kStop) == "{}");
  CHECK(stop(stores, R"({"transactionId":1,"meterStop":9999,"timestamp":"2025-11-24T17:00:00Z"})") == "{}");
  CHECK(stores.transaction("1") == stopped);
}

TEST_CASE("a 1.6 stop without a reason is a Local stop", "[transactions][v16]") {
  BothStores stores;
  start(stores, kStartA);
  stop(stores, R"({"transactionId":1,"meterStop":1000,"timestamp":"2025-11-24T16:00:00Z"})");
  CHECK(stores.transaction("1")->stop_reason == "Local");
}

TEST_CASE("a 1.6 stop for an unknown transaction id is acknowledged and kept for review", "[transactions][v16]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  bool lost = true;
  // -1 is what some stations send for a transaction the CSMS never answered.
  CHECK(stop(stores, R"({"transactionId":-1,"idTag":"TAG-A","meterStop":10,"timestamp":"2025-11-24T16:00:00Z"})", {},
             &lost) == R"({"idTagInfo":{"status":"Accepted"}})");
  CHECK_FALSE(lost);
  CHECK(stores.count(Table::transactions) == 0);
  std::string review;
  stores.reader().scan(Table::events, storage::prefix({kStation}), [&](std::string_view, std::string_view value) {
    review = std::string(value);
    return false;
  });
  CHECK(review.find("StopTransactionUnknown") != std::string::npos);
  CHECK(review.find(R"("transactionId":-1)") != std::string::npos);
}

TEST_CASE("with the event budget full an unknown stop is still acknowledged, and the loss is reported",
          "[transactions][v16][budget]") {
  BothStores stores;
  StationBudgets budgets;
  budgets.events = {1, 1 << 20};
  bool lost = false;
  stop(stores, R"({"transactionId":7,"meterStop":10,"timestamp":"2025-11-24T16:00:00Z"})", budgets, &lost);
  CHECK_FALSE(lost);
  CHECK(stop(stores, R"({"transactionId":8,"meterStop":10,"timestamp":"2025-11-24T16:00:00Z"})", budgets, &lost) ==
        "{}");
  CHECK(lost);
  CHECK(stores.count_with_prefix(Table::events, storage::prefix({kStation})) == 1);
}

TEST_CASE("1.6 meter values go into their transaction, the energy register is read in Wh and kWh",
          "[transactions][v16][energy]") {
  BothStores stores;
  start(stores, kStartA);
  CHECK(meter_values_16(stores, R"({"connectorId":1,"transactionId":1,"meterValue":[
      {"timestamp":"2025-11-24T15:10:00Z","sampledValue":[{"value":"1.5","unit":"kWh"},
                                                          {"value":"230","measurand":"Voltage","unit":"V"},
                                                          {"value":"900","phase":"L1"}]},
      {"timestamp":"2025-11-24T15:20:00Z","sampledValue":[{"value":"2500"}]}]})") == "{}");
  auto record = stores.transaction("1");
  REQUIRE(record);
  CHECK(record->meter_values == 2);
  CHECK(record->events == 2);
  CHECK(record->first_energy_wh == 1500.0);  // kWh converted; the voltage and the phase reading do not count
  CHECK(record->last_energy_wh == 2500.0);
  CHECK(stores.count_with_prefix(Table::meter_values, meter_value_prefix(kStation, "1")) == 2);
}

TEST_CASE("1.6 meter values of no known transaction are the station's idle values, within its budget",
          "[transactions][v16][budget]") {
  BothStores stores;
  StationBudgets budgets;
  budgets.meter_values = {2, 1 << 20};
  constexpr std::string_view kIdle =
      R"({"connectorId":0,"meterValue":[{"timestamp":"2025-11-24T15:10:00Z","sampledValue":[{"value":"7"}]}]})";
  CHECK(meter_values_16(stores, kIdle, budgets) == "{}");
  CHECK(meter_values_16(stores, R"({"connectorId":1,"transactionId":42,"meterValue":[
      {"timestamp":"2025-11-24T15:10:00Z","sampledValue":[{"value":"7"}]}]})",
                        budgets) == "{}");
  CHECK(stores.count_with_prefix(Table::meter_values, meter_value_prefix(kStation, "")) == 2);
  // The third does not fit: the whole message is refused and nothing of it is stored.
  const auto before = storage::describe_contents(stores.reader());
  CHECK(meter_values_16(stores, kIdle, budgets).starts_with("error: "));
  CHECK(storage::describe_contents(stores.reader()) == before);
}

// ---- OCPP 2.0.1 ------------------------------------------------------------------------------------

std::string event(BothStores& stores, std::string_view json, std::int64_t now = kNow) {
  const auto request = decoded<ocpp201::TransactionEventRequest>(json);
  const auto forms = transactions::meter_value_forms(request);
  return stores.run([&](WriteTxn& txn) { return transactions::transaction_event(txn, now, kStation, request, forms); });
}

std::string started(std::string_view token, int seq = 0, std::string_view token_type = "ISO14443") {
  return std::string(R"({"eventType":"Started","timestamp":"2025-11-24T15:00:00Z","triggerReason":"Authorized",)") +
         R"("seqNo":)" + std::to_string(seq) + R"(,"transactionInfo":{"transactionId":"T1"},)" +
         R"("evse":{"id":1,"connectorId":1},"idToken":{"idToken":")" + std::string(token) + R"(","type":")" +
         std::string(token_type) + R"("}})";
}

TEST_CASE("TC_E_04_CSMS: a transaction started after authorization is accepted and recorded", "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  CHECK(event(stores, started("TAG-A")) == R"({"idTokenInfo":{"status":"Accepted"}})");
  const auto record = stores.transaction("T1");
  REQUIRE(record);
  CHECK(record->version == ocpp::Version::v201);
  CHECK(record->id_token == "TAG-A");
  CHECK(record->evse_id == 1);
  CHECK(record->connector_id == 1);
  CHECK(record->started_at_ms == kNow - 3'600'000);
  CHECK_FALSE(record->ended);
  CHECK(record->last_seq_no == 0);
}

TEST_CASE("TC_C_02_CSMS: an unknown idToken in a TransactionEvent gets Unknown", "[transactions][v201]") {
  BothStores stores;
  CHECK(event(stores, started("NOBODY")) == R"({"idTokenInfo":{"status":"Unknown"}})");
}

TEST_CASE("TC_C_06_CSMS: a blocked idToken in a TransactionEvent gets Blocked", "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-B", false);
  CHECK(event(stores, started("TAG-B")) == R"({"idTokenInfo":{"status":"Blocked"}})");
}

TEST_CASE("TC_C_07_CSMS: an idToken past its expiry gets Expired, judged at the message's arrival",
          "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-E", true, kNow + 1000);
  CHECK(event(stores, started("TAG-E", 0), kNow) ==
        R"({"idTokenInfo":{"status":"Accepted","cacheExpiryDateTime":"2025-11-24T16:00:01.000Z"}})");
  CHECK(event(stores, started("TAG-E", 1), kNow + 1000) == R"({"idTokenInfo":{"status":"Expired"}})");
}

TEST_CASE("2.0.1 idTokens are found whatever their case, and NoAuthorization is always accepted",
          "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "ABCDEF");
  CHECK(event(stores, started("abcdef")) == R"({"idTokenInfo":{"status":"Accepted"}})");
  CHECK(event(stores, started("", 1, "NoAuthorization")) == R"({"idTokenInfo":{"status":"Accepted"}})");
}

TEST_CASE("a replayed 2.0.1 TransactionEvent (same transaction, same seqNo) changes nothing and gets the same answer",
          "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  const auto answer = event(stores, started("TAG-A"));
  const auto before = storage::describe_contents(stores.reader());
  CHECK(event(stores, started("TAG-A")) == answer);
  CHECK(storage::describe_contents(stores.reader()) == before);
  CHECK(stores.transaction("T1")->events == 1);
}

TEST_CASE("TC_E_15_CSMS: Started, Updated with meter values, Ended: one transaction with its energy",
          "[transactions][v201][energy]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  event(stores, started("TAG-A"));
  CHECK(event(stores, R"({"eventType":"Updated","timestamp":"2025-11-24T15:10:00Z","triggerReason":"MeterValuePeriodic",
      "seqNo":1,"transactionInfo":{"transactionId":"T1","chargingState":"Charging"},
      "meterValue":[{"timestamp":"2025-11-24T15:10:00Z","sampledValue":[
          {"value":2.5,"unitOfMeasure":{"unit":"kWh"}},
          {"value":11000,"measurand":"Power.Active.Import"}]}]})") == "{}");
  CHECK(event(stores, R"({"eventType":"Ended","timestamp":"2025-11-24T15:30:00Z","triggerReason":"StopAuthorized",
      "seqNo":2,"transactionInfo":{"transactionId":"T1","stoppedReason":"Local"},
      "meterValue":[{"timestamp":"2025-11-24T15:30:00Z","sampledValue":[
          {"value":4,"unitOfMeasure":{"unit":"Wh","multiplier":3}}]}]})") == "{}");
  const auto record = stores.transaction("T1");
  REQUIRE(record);
  CHECK(record->ended);
  CHECK(record->ended_at_ms == kNow - 1'800'000);
  CHECK(record->stop_reason == "Local");
  CHECK(record->events == 3);
  CHECK(record->meter_values == 2);
  CHECK(record->last_seq_no == 2);
  CHECK(record->energy_wh() == 1500.0);  // 4 kWh (4 Wh x 10^3) minus 2.5 kWh
}

TEST_CASE("2.0.1 events that arrive out of order (offline queue) make the same transaction", "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  // The Ended event first, then the Started one the station queued earlier.
  event(stores, R"({"eventType":"Ended","timestamp":"2025-11-24T15:30:00Z","triggerReason":"EVCommunicationLost",
      "seqNo":2,"transactionInfo":{"transactionId":"T1"},
      "meterValue":[{"timestamp":"2025-11-24T15:30:00Z","sampledValue":[{"value":9000}]}]})");
  event(stores, R"({"eventType":"Started","timestamp":"2025-11-24T15:00:00Z","triggerReason":"CablePluggedIn",
      "seqNo":0,"transactionInfo":{"transactionId":"T1"},"evse":{"id":2,"connectorId":1},
      "meterValue":[{"timestamp":"2025-11-24T15:00:00Z","sampledValue":[{"value":1000}]}]})");
  const auto record = stores.transaction("T1");
  REQUIRE(record);
  CHECK(record->started_at_ms == kNow - 3'600'000);  // from the Started event, not the first to arrive
  CHECK(record->ended);
  CHECK(record->stop_reason == "Local");  // no stoppedReason given
  CHECK(record->evse_id == 2);
  CHECK(record->last_seq_no == 2);
  CHECK(record->energy_wh() == 8000.0);  // first and last reading by their own timestamps
  CHECK(stores.count(Table::transactions) == 1);
  // Listed by its real start: one time index entry, at 15:00.
  std::vector<std::string> by_start;
  stores.reader().scan(Table::tx_index, time_index_prefix(), [&](std::string_view key, std::string_view) {
    by_start.emplace_back(key);
    return true;
  });
  CHECK(by_start == std::vector<std::string>{time_index_key(kNow - 3'600'000, kStation, "T1")});
}

TEST_CASE("2.0.1 MeterValues are the station's idle values and keep within its budget",
          "[transactions][v201][budget]") {
  BothStores stores;
  StationBudgets budgets;
  budgets.meter_values = {1, 1 << 20};
  const auto request = decoded<ocpp201::MeterValuesRequest>(
      R"({"evseId":0,"meterValue":[{"timestamp":"2025-11-24T15:00:00Z","sampledValue":[{"value":1}]}]})");
  const auto forms = transactions::meter_value_forms(request);
  const auto step = [&](WriteTxn& txn) {
    return transactions::meter_values_201(txn, kStation, request, forms, budgets);
  };
  CHECK(stores.run(step) == "{}");
  CHECK(stores.run(step).starts_with("error: "));
  CHECK(stores.count_with_prefix(Table::meter_values, meter_value_prefix(kStation, "")) == 1);
}

TEST_CASE(
    "a meter value is stored in the form encoded before the operation, and forms that do not match the "
    "request store nothing",
    "[transactions][v201]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  event(stores, started("TAG-A"));
  const auto request = decoded<ocpp201::TransactionEventRequest>(
      R"({"eventType":"Updated","timestamp":"2025-11-24T15:10:00Z","triggerReason":"MeterValuePeriodic",
      "seqNo":1,"transactionInfo":{"transactionId":"T1"},
      "meterValue":[{"timestamp":"2025-11-24T15:10:00Z","sampledValue":[{"value":2.5}]}]})");
  const auto before = storage::describe_contents(stores.reader());
  CHECK(stores.run([&](WriteTxn& txn) { return transactions::transaction_event(txn, kNow, kStation, request, {}); })
            .starts_with("error: meter value forms do not match"));
  CHECK(storage::describe_contents(stores.reader()) == before);

  const auto forms = transactions::meter_value_forms(request);
  REQUIRE(forms.size() == 1);
  CHECK(forms[0] == R"({"sampledValue":[{"value":2.5}],"timestamp":"2025-11-24T15:10:00.000Z"})");
  CHECK(stores.run([&](WriteTxn& txn) {
    return transactions::transaction_event(txn, kNow, kStation, request, forms);
  }) == "{}");
  std::vector<std::string> stored;
  stores.reader().scan(Table::meter_values, meter_value_prefix(kStation, "T1"),
                       [&](std::string_view, std::string_view value) {
                         stored.emplace_back(value);
                         return true;
                       });
  CHECK(stored == forms);
}

TEST_CASE("an operation that throws half-way is undone on both stores, counters included", "[transactions][store]") {
  BothStores stores;
  start(stores, kStartA);
  const auto before = storage::describe_contents(stores.reader());
  CHECK(stores.run([](WriteTxn& txn) -> std::string {
    txn.next("transaction16");
    txn.put(Table::transactions, "half", "written");
    throw std::runtime_error("the block changed its mind");
  }) == "error: the block changed its mind");
  CHECK(storage::describe_contents(stores.reader()) == before);
  // The next start gets id 2: the undone increment left no gap.
  CHECK(start(stores, R"({"connectorId":2,"idTag":"X","meterStart":0,"timestamp":"2025-11-24T15:00:00Z"})")
            .find(R"("transactionId":2)") != std::string::npos);
}

}  // namespace
