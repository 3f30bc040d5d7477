// Local authorization lists kept by the node (actors/station/local_list.hpp): which tokens a
// station's list holds, the updates that bring it there within the station's limits, and the
// SendLocalList each update is, on both stores.

#include <catch2/catch.hpp>

#include "actors/station/local_list.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::actors::test::BothStores;
using evbroker::actors::test::kNow;
using evbroker::actors::test::kStation;

namespace {

LocalListScope all_stations() {
  LocalListScope scope;
  scope.all = true;
  return scope;
}
LocalListScope of_groups(std::vector<std::string> groups) {
  LocalListScope scope;
  scope.groups = std::move(groups);
  return scope;
}
LocalListScope of_stations(std::vector<std::string> stations) {
  LocalListScope scope;
  scope.stations = std::move(stations);
  return scope;
}

/// A token assigned to `scope`, stored and indexed as the API does it.
void assign(BothStores& stores, const std::string& uid, const LocalListScope& scope, bool valid = true,
            std::optional<std::int64_t> expiry_ms = {}, std::optional<std::string> group = {},
            const LocalListScope& before = {}) {
  TokenRecord token;
  token.uid = uid;
  token.type = "RFID";
  token.valid = valid;
  token.cache_mode = "ALWAYS";
  token.expiry_ms = expiry_ms;
  token.group_id = std::move(group);
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::tokens, token.uid, to_json(token));
    reindex_token_scope(txn, uid, before, scope);
    return std::string();
  });
}

void register_station(BothStores& stores, std::string_view id, std::vector<std::string> groups) {
  StationRecord station;
  station.groups = station_groups_json(groups);
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::stations, id, to_json(station));
    return std::string();
  });
}

ListEntry accepted(std::string type = "ISO14443") {
  ListEntry entry;
  entry.status = "Accepted";
  entry.type = std::move(type);
  return entry;
}

LocalList list_of(std::initializer_list<std::string> uids, const ListEntry& entry = accepted()) {
  LocalList list;
  for (const auto& uid : uids) list.emplace(uid, entry);
  return list;
}

std::string call_json(const CsmsCall& call) { return ocpp::encode_request(call.request); }

}  // namespace

TEST_CASE("A scope covers every station, the stations of its groups, or the stations it names", "[local list]") {
  CHECK(all_stations().covers("CS9", {}));
  CHECK(of_groups({"depot"}).covers("CS9", {"north", "depot"}));
  CHECK_FALSE(of_groups({"depot"}).covers("CS9", {"north"}));
  CHECK(of_stations({"CS1", "CS9"}).covers("CS9", {}));
  CHECK_FALSE(of_stations({"CS1"}).covers("CS9", {"CS1"}));
  CHECK(LocalListScope{}.empty());
  CHECK_FALSE(LocalListScope{}.covers("CS9", {"depot"}));
}

TEST_CASE("A token's scope and a station's groups read back from their stored text", "[local list]") {
  auto scope = parse_local_list_scope(R"({"all":false,"groups":["depot"],"stations":["CS1","CS2"]})");
  CHECK_FALSE(scope.all);
  CHECK(scope.groups == std::vector<std::string>{"depot"});
  CHECK(scope.stations == std::vector<std::string>{"CS1", "CS2"});
  CHECK(parse_local_list_scope("").empty());
  CHECK(parse_local_list_scope("not json").empty());
  CHECK(parse_station_groups(station_groups_json({"a", "b\"c"})) == std::vector<std::string>{"a", "b\"c"});
  CHECK(station_groups_json({}).empty());
}

TEST_CASE("A station's desired list holds the tokens whose scope covers it, with their standing now", "[local list]") {
  BothStores stores;
  register_station(stores, kStation, {"depot"});
  register_station(stores, "CS2", {"north"});
  assign(stores, "ALL1", all_stations());
  assign(stores, "DEPOT1", of_groups({"depot"}), /*valid=*/false);
  assign(stores, "NAMED1", of_stations({"CS2"}));
  assign(stores, "OLD1", of_stations({std::string(kStation)}), true, kNow - 1000, "FLEET");
  assign(stores, "LATER1", of_stations({std::string(kStation)}), true, kNow + 1000);

  auto list = desired_list(stores.reader(), kStation, ocpp::Version::v201, kNow);
  REQUIRE(list.size() == 4);
  CHECK(list.at("ALL1") == accepted());
  CHECK(list.at("DEPOT1").status == "Blocked");
  CHECK(list.at("OLD1").status == "Expired");
  CHECK(list.at("OLD1").group == std::optional<std::string>("FLEET"));
  CHECK(list.at("LATER1").status == "Accepted");
  CHECK(list.at("LATER1").expiry_ms == std::optional<std::int64_t>(kNow + 1000));
  CHECK(list.count("NAMED1") == 0);

  auto other = desired_list(stores.reader(), "CS2", ocpp::Version::v201, kNow);
  CHECK(other.size() == 2);
  CHECK(other.count("NAMED1") == 1);
}

TEST_CASE("Changing or removing a token's scope reindexes it; a deleted token leaves the list", "[local list]") {
  BothStores stores;
  register_station(stores, kStation, {"depot"});
  assign(stores, "T1", of_groups({"depot"}));
  CHECK(desired_list(stores.reader(), kStation, ocpp::Version::v16, kNow).size() == 1);

  assign(stores, "T1", of_stations({"CS2"}), true, {}, {}, of_groups({"depot"}));
  CHECK(desired_list(stores.reader(), kStation, ocpp::Version::v16, kNow).empty());
  CHECK(desired_list(stores.reader(), "CS2", ocpp::Version::v16, kNow).size() == 1);

  // Deleted: the API drops the token and its index entries in one write.
  stores.run([&](storage::WriteTxn& txn) {
    txn.del(storage::Table::tokens, "T1");
    reindex_token_scope(txn, "T1", of_stations({"CS2"}), {});
    return std::string();
  });
  CHECK(desired_list(stores.reader(), "CS2", ocpp::Version::v16, kNow).empty());
  CHECK(stores.count(storage::Table::tx_index) == 0);
}

TEST_CASE("A 1.6 list leaves out uids longer than an idTag and groups longer than a parentIdTag", "[local list]") {
  BothStores stores;
  assign(stores, std::string(21, 'A'), all_stations());
  assign(stores, "SHORT", all_stations(), true, {}, std::string(21, 'G'));
  std::size_t left_out = 0;
  auto list = desired_list(stores.reader(), kStation, ocpp::Version::v16, kNow, &left_out);
  CHECK(left_out == 1);
  REQUIRE(list.size() == 1);
  CHECK_FALSE(list.at("SHORT").group);
  CHECK(list.at("SHORT").type.empty());  // 1.6 has no token type
  CHECK(desired_list(stores.reader(), kStation, ocpp::Version::v201, kNow).size() == 2);
}

TEST_CASE("The changes of a list are the uids added, changed and removed", "[local list]") {
  auto sent = list_of({"A", "B", "C"});
  auto desired = list_of({"A", "C", "D"});
  desired["C"].status = "Blocked";
  auto changes = list_changes(desired, sent);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].uid == "B");
  CHECK_FALSE(changes[0].entry);
  CHECK(changes[1].uid == "C");
  CHECK(changes[1].entry->status == "Blocked");
  CHECK(changes[2].uid == "D");
  CHECK(list_changes(sent, sent).empty());
}

TEST_CASE("TC_D_01: a station that never had a list from the node gets a Full update, version 1", "[local list]") {
  auto plan = plan_list_updates(ocpp::Version::v201, list_of({"A", "B"}), {}, 0, false, {});
  REQUIRE(plan.updates.size() == 1);
  CHECK(plan.updates[0].full);
  CHECK(plan.updates[0].version == 1);
  CHECK(plan.updates[0].changes.size() == 2);
  CHECK(plan.refusal.empty());
}

TEST_CASE("TC_D_02/TC_D_03: a changed and a removed token go as one Differential update", "[local list]") {
  auto sent = list_of({"A", "B", "C"});
  auto desired = list_of({"A", "C"});
  desired["C"].status = "Blocked";
  auto plan = plan_list_updates(ocpp::Version::v201, desired, sent, 4, false, {});
  REQUIRE(plan.updates.size() == 1);
  const auto& update = plan.updates[0];
  CHECK_FALSE(update.full);
  CHECK(update.version == 5);
  auto json = call_json(list_update_call(ocpp::Version::v201, update));
  CHECK(json.find(R"("updateType":"Differential")") != std::string::npos);
  CHECK(json.find(R"("versionNumber":5)") != std::string::npos);
  // D01.FR.17: the removal carries no idTokenInfo; the change carries the new status.
  CHECK(json.find(R"({"idToken":{"idToken":"B","type":"Central"}})") != std::string::npos);
  CHECK(json.find(R"("idToken":{"idToken":"C","type":"ISO14443"},"idTokenInfo":{"status":"Blocked"})") !=
        std::string::npos);
  // Nothing changed: nothing to send.
  CHECK(plan_list_updates(ocpp::Version::v201, sent, sent, 4, false, {}).updates.empty());
}

TEST_CASE("TC_D_04: an emptied list is a Full update without entries", "[local list]") {
  auto plan = plan_list_updates(ocpp::Version::v201, {}, list_of({"A", "B"}), 7, false, {});
  REQUIRE(plan.updates.size() == 1);
  CHECK(plan.updates[0].full);
  CHECK(plan.updates[0].version == 8);
  CHECK(plan.updates[0].changes.empty());
  auto json = call_json(list_update_call(ocpp::Version::v201, plan.updates[0]));
  CHECK(json == R"({"versionNumber":8,"updateType":"Full"})");  // localAuthorizationList has minItems 1
  auto json16 = call_json(list_update_call(ocpp::Version::v16, plan.updates[0]));
  CHECK(json16 == R"({"listVersion":8,"updateType":"Full"})");
}

TEST_CASE("A resynchronisation asked for sends the whole list even when nothing changed", "[local list]") {
  auto list = list_of({"A"});
  auto plan = plan_list_updates(ocpp::Version::v16, list, list, 3, /*full=*/true, {});
  REQUIRE(plan.updates.size() == 1);
  CHECK(plan.updates[0].full);
  CHECK(plan.updates[0].version == 4);
  auto json = call_json(list_update_call(ocpp::Version::v16, plan.updates[0]));
  CHECK(json == R"({"listVersion":4,"updateType":"Full",)"
                R"("localAuthorizationList":[{"idTag":"A","idTagInfo":{"status":"Accepted"}}]})");
}

TEST_CASE("D01.FR.11/D02: more entries than ItemsPerMessage go as a Full part and Differential parts", "[local list]") {
  LocalList desired;
  for (int i = 0; i < 7; ++i) desired.emplace("TOKEN" + std::to_string(i), accepted());
  auto plan = plan_list_updates(ocpp::Version::v201, desired, {}, 0, false, ListLimits{.items = 3});
  REQUIRE(plan.updates.size() == 3);
  CHECK(plan.updates[0].full);
  CHECK_FALSE(plan.updates[1].full);
  CHECK_FALSE(plan.updates[2].full);
  CHECK(plan.updates[0].changes.size() == 3);
  CHECK(plan.updates[2].changes.size() == 1);
  CHECK(plan.updates[0].version == 1);
  CHECK(plan.updates[2].version == 3);
}

TEST_CASE("BytesPerMessage cuts the updates by their encoded size", "[local list]") {
  LocalList desired;
  for (int i = 0; i < 40; ++i) desired.emplace("TOKEN" + std::to_string(100 + i), accepted());
  const std::size_t limit = 1000;
  auto plan = plan_list_updates(ocpp::Version::v201, desired, {}, 0, false, ListLimits{.bytes = limit});
  REQUIRE(plan.updates.size() > 1);
  std::size_t entries = 0;
  for (const auto& update : plan.updates) {
    entries += update.changes.size();
    // The frame around the payload: [2,"<36-character id>","SendLocalList",...]
    CHECK(call_json(list_update_call(ocpp::Version::v201, update)).size() + 60 <= limit);
  }
  CHECK(entries == desired.size());
}

TEST_CASE("More tokens than the station's Entries are refused, not sent", "[local list]") {
  auto plan = plan_list_updates(ocpp::Version::v201, list_of({"A", "B", "C"}), {}, 0, false, ListLimits{.entries = 2});
  CHECK(plan.updates.empty());
  CHECK(plan.refusal.find("at most 2") != std::string::npos);
}

TEST_CASE("More changes than entries: the whole list again, as a Full update", "[local list]") {
  auto sent = list_of({"A", "B", "C", "D"});
  auto plan = plan_list_updates(ocpp::Version::v16, list_of({"E"}), sent, 2, false, {});
  REQUIRE(plan.updates.size() == 1);
  CHECK(plan.updates[0].full);
  CHECK(plan.updates[0].changes.size() == 1);
}

TEST_CASE("An accepted update is kept as the station's list: a Full one replaces it", "[local list]") {
  BothStores stores;
  auto store = [&](const ListUpdate& update) {
    stores.run([&](storage::WriteTxn& txn) {
      store_accepted_update(txn, kStation, update);
      return std::string();
    });
  };
  store(ListUpdate{.full = true, .version = 1, .changes = {{"A", accepted()}, {"B", accepted()}}});
  CHECK(sent_list(stores.reader(), kStation) == list_of({"A", "B"}));
  auto blocked = accepted();
  blocked.status = "Blocked";
  blocked.expiry_ms = kNow;
  store(ListUpdate{.full = false, .version = 2, .changes = {{"A", std::nullopt}, {"B", blocked}}});
  CHECK(sent_list(stores.reader(), kStation) == LocalList{{"B", blocked}});
  store(ListUpdate{.full = true, .version = 3, .changes = {{"C", accepted()}}});
  CHECK(sent_list(stores.reader(), kStation) == list_of({"C"}));
}

TEST_CASE("The station's limits come from its device model, else from what the node read", "[local list]") {
  BothStores stores;
  LocalListRecord record;
  record.items_per_message = 5;
  record.max_entries = 100;
  auto limits = known_list_limits(stores.reader(), kStation, ocpp::Version::v201, record);
  CHECK(limits.items == 5);
  CHECK(limits.entries == 100);
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::device_model, storage::key({kStation, "LocalAuthListCtrlr", "ItemsPerMessage"}),
            R"({"variableAttribute":[{"type":"Actual","value":"2"}]})");
    txn.put(storage::Table::device_model, storage::key({kStation, "LocalAuthListCtrlr", "Entries"}),
            R"({"variableAttribute":[{"value":"0"}],"variableCharacteristics":{"dataType":"integer","maxLimit":50}})");
    return std::string();
  });
  limits = known_list_limits(stores.reader(), kStation, ocpp::Version::v201, record);
  CHECK(limits.items == 2);
  CHECK(limits.entries == 50);
  // 1.6 has no device model: what GetConfiguration gave.
  CHECK(known_list_limits(stores.reader(), kStation, ocpp::Version::v16, record).items == 5);
}

TEST_CASE("The station's answer to a SendLocalList as one word", "[local list]") {
  CsmsCallResult result;
  result.payload = R"({"status":"VersionMismatch"})";
  CHECK(list_update_answer(result) == "VersionMismatch");
  result.kind = CsmsCallResult::Kind::call_error;
  result.error_code = "NotImplemented";
  CHECK(list_update_answer(result) == "NotSupported");
  result.error_code = "InternalError";
  CHECK(list_update_answer(result).empty());
  result.kind = CsmsCallResult::Kind::timeout;
  CHECK(list_update_answer(result).empty());
}
