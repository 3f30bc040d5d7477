// Rules of the blocks that need neither actors nor sockets: station ids, the SECC CN rule, login
// throttling by source address, per-station storage budgets, settings batches, the log throttle.

#include <catch2/catch.hpp>

#include <string>

#include "actors/core/log_throttle.hpp"
#include "actors/core/login_throttle.hpp"
#include "actors/station/settings.hpp"
#include "actors/records/station_budget.hpp"
#include "actors/station/station_id.hpp"
#include "../storage/helpers.hpp"
#include "tests/actors/call_results.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::actors::test::answered;
using evbroker::storage::Table;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

TEST_CASE("station ids are identifierStrings of at most 48 characters", "[station_id]") {
  std::string error;
  for (const std::string& ok :
       std::initializer_list<std::string>{"CS1", "DE*ABC*E1", "a-b_c.d:e+f|g@h=i", std::string(48, 'x')})
    CHECK(valid_station_id(ok, error));
  for (const std::string& bad :
       std::initializer_list<std::string>{"", "CS 1", "CS/1", "Säule", "a~b", "\xff", std::string(49, 'x')}) {
    CAPTURE(bad);
    CHECK_FALSE(valid_station_id(bad, error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("an SECC CN names station CS1 only as a delimited component, never CS10", "[station_id]") {
  for (std::string_view cn : {"CS1", "cs1", "DE*ABC*E*CS1", "CS1-EVSE1", "SECC.CS1.1", "CS1*1"})
    CHECK(secc_cn_names_station(cn, "CS1"));
  for (std::string_view cn : {"CS10", "XCS1", "CS1A", "CS", "DE*ABC*CS10*1", ""}) {
    CAPTURE(cn);
    CHECK_FALSE(secc_cn_names_station(cn, "CS1"));
  }
  CHECK(secc_cn_names_station("DE*ABC*CS10*1", "CS10"));
}

TEST_CASE("login failures from one address never lock out the station from another", "[login_throttle]") {
  LoginThrottle throttle({.failures_per_station = 5,
                          .failures_per_address = 50,
                          .window = std::chrono::seconds(60),
                          .lockout = std::chrono::seconds(30)});
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 5; ++i) throttle.failed("10.0.0.9", "CS1", t0);
  CHECK(throttle.locked_until("10.0.0.9", "CS1", t0) > t0);
  CHECK(throttle.locked_until("10.0.0.1", "CS1", t0) == LoginThrottle::Clock::time_point{});
  CHECK(throttle.locked_until("10.0.0.9", "CS2", t0) == LoginThrottle::Clock::time_point{});
  CHECK(throttle.locked_until("10.0.0.9", "CS1", t0 + std::chrono::seconds(31)) == LoginThrottle::Clock::time_point{});
}

TEST_CASE("many failures from one address lock the address out for every id", "[login_throttle]") {
  LoginThrottle throttle({.failures_per_station = 5, .failures_per_address = 10});
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 10; ++i) throttle.failed("10.0.0.9", "ID" + std::to_string(i), t0);
  CHECK(throttle.locked_until("10.0.0.9", "ANY", t0) > t0);
  CHECK(throttle.locked_until("10.0.0.8", "ANY", t0) == LoginThrottle::Clock::time_point{});
}

TEST_CASE("a success starts its pair afresh, failures spread over time do not lock", "[login_throttle]") {
  LoginThrottle throttle({.failures_per_station = 3, .failures_per_address = 0, .window = std::chrono::seconds(10)});
  auto t = LoginThrottle::Clock::now();
  throttle.failed("a", "CS1", t);
  throttle.failed("a", "CS1", t);
  throttle.succeeded("a", "CS1");
  throttle.failed("a", "CS1", t);
  CHECK(throttle.locked_until("a", "CS1", t) == LoginThrottle::Clock::time_point{});
  for (int i = 0; i < 10; ++i) throttle.failed("b", "CS1", t + std::chrono::seconds(11 * i));
  CHECK(throttle.locked_until("b", "CS1", t + std::chrono::seconds(99)) == LoginThrottle::Clock::time_point{});
}

TEST_CASE("the throttle table stays bounded under a flood of addresses", "[login_throttle]") {
  LoginThrottle throttle({.failures_per_station = 5, .failures_per_address = 5, .max_tracked = 1000});
  const auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 20000; ++i)
    throttle.failed("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250), "CS", t0);
  for (int i = 0; i < 5; ++i) throttle.failed("victim-finder", "CS", t0);
  CHECK(throttle.locked_until("victim-finder", "CS", t0) > t0);  // the newest entries are kept
}

TEST_CASE("source addresses: the ip of ip:port, IPv6 by /64, IPv4-mapped as IPv4", "[login_throttle]") {
  CHECK(LoginThrottle::source_of("10.0.0.1:5555") == "10.0.0.1");
  CHECK(LoginThrottle::source_of("[2001:db8:1:2:3:4:5:6]:443") == "2001:db8:1:2::/64");
  CHECK(LoginThrottle::source_of("[::ffff:10.0.0.1]:80") == "10.0.0.1");
  CHECK(LoginThrottle::source_of("unknown") == "unknown");
}

TEST_CASE("a budget refuses what does not fit and counts replacements by their difference", "[station_budget]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  const Budget budget{3, 1000};
  std::vector<bool> stored;
  REQUIRE(commit(committer, [&](storage::WriteTxn& txn) {
            for (const char* key : {"CS1\0a", "CS1\0b", "CS1\0c", "CS1\0d"})
              stored.push_back(try_put_within_budget(txn, Table::events, std::string(key, 5), "v", "CS1",
                                                     BudgetKind::events, budget));
            // Replacing an entry with one as large always fits.
            stored.push_back(try_put_within_budget(txn, Table::events, std::string("CS1\0a", 5), "w", "CS1",
                                                   BudgetKind::events, budget));
          }) == "");
  CHECK(stored == std::vector<bool>{true, true, true, false, true});
  auto usage = read_usage(store->read(), "CS1", BudgetKind::events);
  CHECK(usage.entries == 3);
  CHECK(usage.bytes == 3 * (5 + 1));
  CHECK(read_usage(store->read(), "CS2", BudgetKind::events).entries == 0);  // per station

  REQUIRE(commit(committer, [&](storage::WriteTxn& txn) {
            CHECK(del_within_budget(txn, Table::events, std::string("CS1\0b", 5), "CS1", BudgetKind::events));
            CHECK_FALSE(del_within_budget(txn, Table::events, std::string("CS1\0z", 5), "CS1", BudgetKind::events));
          }) == "");
  CHECK(read_usage(store->read(), "CS1", BudgetKind::events).entries == 2);
}

TEST_CASE("put_within_budget throws so that the whole operation is undone", "[station_budget]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  auto error = commit(committer, [](storage::WriteTxn& txn) {
    put_within_budget(txn, Table::device_model, std::string("CS1\0x", 5), "1", "CS1", BudgetKind::device_model,
                      {1, 100});
    put_within_budget(txn, Table::device_model, std::string("CS1\0y", 5), "2", "CS1", BudgetKind::device_model,
                      {1, 100});
  });
  CHECK_THAT(error, Catch::Contains("storage budget for deviceModel of this station is full"));
  CHECK(store->read().count(Table::device_model) == 0);
  CHECK(read_usage(store->read(), "CS1", BudgetKind::device_model).entries == 0);
}

TEST_CASE("SetVariables batches keep within the station's items and bytes per message", "[settings]") {
  std::vector<PendingSetting> pending;
  for (int i = 0; i < 7; ++i) pending.push_back({"Ctrlr" + std::to_string(i) + "/Variable", std::string(40, 'v')});
  auto sizes = [](const std::vector<SettingsCall>& calls) {
    std::vector<std::size_t> out;
    for (const auto& call : calls) out.push_back(call.keys.size());
    return out;
  };
  CHECK(sizes(settings_calls(ocpp::Version::v201, pending, {.items = 3, .bytes = 0})) ==
        std::vector<std::size_t>{3, 3, 1});
  const auto by_bytes = settings_calls(ocpp::Version::v201, pending, {.items = 100, .bytes = 300});
  for (const auto& call : by_bytes)
    CHECK((ocpp::encode_request(call.call.request).size() <= 300 || call.keys.size() == 1));
  std::size_t total = 0;
  for (const auto& call : by_bytes) {
    total += call.keys.size();
    CHECK(call.keys.size() == call.values.size());
  }
  CHECK(total == 7);
  CHECK(settings_calls(ocpp::Version::v16, pending).size() == 7);  // one ChangeConfiguration per key
}

TEST_CASE("a settings call is typed and its outcome read from the decoded answer", "[settings]") {
  const std::vector<PendingSetting> pending{{"OCPPCommCtrlr/HeartbeatInterval", "60"},
                                            {"TxCtrlr;;1/EVConnectionTimeOut", "30"}};
  auto calls = settings_calls(ocpp::Version::v201, pending);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].call.action.name() == "SetVariables");
  const auto* request = std::get_if<ocpp201::SetVariablesRequest>(calls[0].call.request.v201.get());
  REQUIRE(request != nullptr);
  REQUIRE(request->setVariableData.size() == 2);
  CHECK(request->setVariableData[1].component.evse->id == 1);

  // The station answers in its own order; each key gets the status of its own item.
  auto result = answered(calls[0].call, R"({"setVariableResult":[
    {"attributeStatus":"Rejected","component":{"name":"TxCtrlr","evse":{"id":1}},"variable":{"name":"EVConnectionTimeOut"}},
    {"attributeStatus":"Accepted","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]})");
  using Outcome = std::vector<std::pair<std::string, std::string>>;
  CHECK(settings_outcome(ocpp::Version::v201, calls[0], result) ==
        Outcome{{"OCPPCommCtrlr/HeartbeatInterval", "Accepted"}, {"TxCtrlr;;1/EVConnectionTimeOut", "Rejected"}});

  // 1.6: one ChangeConfiguration per key.
  auto calls16 = settings_calls(ocpp::Version::v16, {{"HeartbeatInterval", "60"}});
  REQUIRE(calls16.size() == 1);
  CHECK(calls16[0].call.action.version == ocpp::Version::v16);
  CHECK(ocpp::encode_request(calls16[0].call.request) == R"({"key":"HeartbeatInterval","value":"60"})");
  CHECK(settings_outcome(ocpp::Version::v16, calls16[0], answered(calls16[0].call, R"({"status":"RebootRequired"})")) ==
        Outcome{{"HeartbeatInterval", "RebootRequired"}});

  // Not answered: every key stays pending.
  CsmsCallResult timeout;
  timeout.kind = CsmsCallResult::Kind::timeout;
  CHECK(settings_outcome(ocpp::Version::v201, calls[0], timeout).empty());
}

TEST_CASE("the log throttle lets a few lines through per period and counts the rest", "[log_throttle]") {
  LogThrottle throttle;
  const auto t0 = LogThrottle::Clock::now();
  std::uint64_t held = 0;
  int logged = 0;
  for (int i = 0; i < 100; ++i) logged += throttle.may_log(t0, held) ? 1 : 0;
  CHECK(logged == static_cast<int>(LogThrottle::kBurst));
  CHECK(throttle.may_log(t0 + LogThrottle::kPeriod, held));
  CHECK(held == 100 - LogThrottle::kBurst);
  CHECK(held_back_note(held).find("95 similar messages") != std::string::npos);
}
