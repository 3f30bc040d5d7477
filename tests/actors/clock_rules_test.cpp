// What the blocks decide from the node's clock (actors/core/clock.hpp), with the time set by the
// test instead of waited for: token expiry and cache mode, the stamps of events and settings.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "../storage/helpers.hpp"
#include "actors/blocks/authorization.hpp"
#include "actors/core/clock.hpp"
#include "actors/records/events.hpp"
#include "actors/records/records.hpp"
#include "actors/station/settings.hpp"
#include "protocol/date_time.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::storage::Table;
using evbroker::storage::test::commit;
using evbroker::storage::test::open_store;
using evbroker::storage::test::TempDir;

namespace {

constexpr std::int64_t kT0 = 1'764'000'000'000;  // 2025-11-24T16:00:00Z

std::string token_json(std::string uid, std::optional<std::int64_t> expiry_ms, std::string cache_mode = "ALWAYS") {
  TokenRecord t;
  t.country_code = "DE";
  t.party_id = "EVB";
  t.type = "RFID";
  t.uid = std::move(uid);
  t.contract_id = "DEEVBC0000001";
  t.issuer = "evbroker";
  t.cache_mode = std::move(cache_mode);
  t.expiry_ms = expiry_ms;
  return to_json(t);
}

}  // namespace

TEST_CASE("the manual clock moves only when told, and reads as an OCPP dateTime", "[clock]") {
  ManualClock clock(kT0);
  CHECK(clock.now_ms() == kT0);
  clock.advance(1500);
  CHECK(clock.now_ms() == kT0 + 1500);
  clock.set(0);
  CHECK(clock.now_text() == "1970-01-01T00:00:00.000Z");
  const Clock& system = system_clock();
  CHECK(system.now_ms() > kT0);  // written after this constant
}

TEST_CASE("a token is accepted until its expiry and expired from it on", "[clock][authorization]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  const std::int64_t expiry = kT0 + 60'000;
  REQUIRE(commit(committer, [&](storage::WriteTxn& txn) {
            txn.put(Table::tokens, "TOK1", token_json("TOK1", expiry));
            txn.put(Table::tokens, "TOK2", token_json("TOK2", std::nullopt, "NEVER"));
          }) == "");
  ManualClock clock(kT0);
  auto reader = store->read();

  auto before = judge_token(reader, clock.now_ms(), "TOK1");
  CHECK(before.status == TokenVerdict::Status::accepted);
  CHECK(before.expiry_ms == expiry);  // the station may cache the answer until then

  clock.set(expiry - 1);
  CHECK(judge_token(reader, clock.now_ms(), "TOK1").status == TokenVerdict::Status::accepted);
  clock.set(expiry);
  CHECK(judge_token(reader, clock.now_ms(), "TOK1").status == TokenVerdict::Status::expired);

  // cacheMode NEVER: the answer expires at once, whatever the time.
  clock.set(kT0 + 123'456);
  auto never = judge_token(reader, clock.now_ms(), "TOK2");
  CHECK(never.status == TokenVerdict::Status::accepted);
  CHECK(never.expiry_ms == kT0 + 123'456);
  CHECK(judge_token(reader, clock.now_ms(), "NOPE").status == TokenVerdict::Status::unknown);
}

TEST_CASE("an event is stamped with the time it arrived, and refused when the budget is full", "[clock][events]") {
  TempDir dir;
  auto store = open_store(dir.path());
  storage::GroupCommitter committer(*store);
  std::vector<bool> recorded;
  REQUIRE(commit(committer, [&](storage::WriteTxn& txn) {
            recorded.push_back(try_record_event(txn, "CS1", "NotifyEvent", "{\"a\":1}", {2, 10'000}, kT0));
            recorded.push_back(try_record_event(txn, "CS1", "NotifyEvent", "{\"a\":2}", {2, 10'000}, kT0 + 1));
            recorded.push_back(try_record_event(txn, "CS1", "NotifyEvent", "{\"a\":3}", {2, 10'000}, kT0 + 2));
          }) == "");
  CHECK(recorded == std::vector<bool>{true, true, false});
  std::vector<std::string> values;
  store->read().scan(Table::events, storage::prefix({"CS1"}), [&](std::string_view, std::string_view v) {
    values.emplace_back(v);
    return true;
  });
  REQUIRE(values.size() == 2);
  CHECK(values[0] == "{\"timestamp\":\"2025-11-24T16:00:00.000Z\",\"type\":\"NotifyEvent\",\"payload\":{\"a\":1}}");
  CHECK(values[1].find("\"2025-11-24T16:00:00.001Z\"") != std::string::npos);

  // record_event throws instead, so that the whole operation is undone.
  auto error = commit(committer, [&](storage::WriteTxn& txn) {
    record_event(txn, "CS1", "NotifyEvent", "{}", {2, 10'000}, kT0 + 3);
  });
  CHECK_THAT(error, Catch::Contains("full"));
}

TEST_CASE("a setting's updatedAt is the time given", "[clock][settings]") {
  CHECK(setting_record("60", "Pending", kT0) ==
        "{\"value\":\"60\",\"status\":\"Pending\",\"updatedAt\":\"2025-11-24T16:00:00.000Z\"}");
  CHECK(setting_record("60", "Rejected", kT0, "no such key") ==
        "{\"value\":\"60\",\"status\":\"Rejected\",\"detail\":\"no such "
        "key\",\"updatedAt\":\"2025-11-24T16:00:00.000Z\"}");
}
