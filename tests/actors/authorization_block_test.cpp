// Token verdicts (actors/blocks/authorization.hpp): what Authorize and the transaction messages
// answer for a token, from table tokens, judged on the in-memory store and on LMDB side by side
// (both_stores.hpp). Cases are named after the OCPP 2.0.1 CSMS conformance test case they cover.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "actors/blocks/authorization.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;
using evbroker::storage::Table;
using evbroker::storage::WriteTxn;

namespace {

/// The 2.0.1 idTokenInfo for `token` as judged at `now`, on both stores.
std::string verdict_201(BothStores& stores, std::string_view token, std::int64_t now = kNow,
                        std::string_view own_transaction = {}) {
  return stores.run([&](WriteTxn& txn) {
    return ocpp::to_json(to_id_token_info(judge_token(txn, now, token, kStation, own_transaction)));
  });
}

std::string verdict_16(BothStores& stores, std::string_view token) {
  return stores.run([&](WriteTxn& txn) { return ocpp::to_json(to_id_tag_info(judge_token(txn, kNow, token))); });
}

void put(BothStores& stores, Table table, std::string key, std::string value) {
  stores.run([&](WriteTxn& txn) {
    txn.put(table, key, value);
    return std::string();
  });
}

TEST_CASE("TC_C_02_CSMS: a token the CSMS does not know is Unknown (Invalid in 1.6)", "[authorization]") {
  BothStores stores;
  CHECK(verdict_201(stores, "NOBODY") == R"({"status":"Unknown"})");
  CHECK(verdict_16(stores, "NOBODY") == R"({"status":"Invalid"})");
}

TEST_CASE("TC_C_06_CSMS: a token marked not valid is Blocked", "[authorization]") {
  BothStores stores;
  add_token(stores, "TAG-B", false);
  CHECK(verdict_201(stores, "TAG-B") == R"({"status":"Blocked"})");
  CHECK(verdict_16(stores, "TAG-B") == R"({"status":"Blocked"})");
}

TEST_CASE("TC_C_07_CSMS: a token is Expired from its expiry on, and until then the station may cache it that long",
          "[authorization]") {
  BothStores stores;
  add_token(stores, "TAG-E", true, kNow + 60'000);
  CHECK(verdict_201(stores, "TAG-E", kNow + 59'999) ==
        R"({"status":"Accepted","cacheExpiryDateTime":"2025-11-24T16:01:00.000Z"})");
  CHECK(verdict_201(stores, "TAG-E", kNow + 60'000) == R"({"status":"Expired"})");
}

TEST_CASE("TC_C_39_CSMS: a token's group comes back as its groupIdToken (parentIdTag in 1.6)", "[authorization]") {
  BothStores stores;
  add_token(stores, "TAG-G", true, {}, "FLEET-0123456789-ABCDEF");
  CHECK(verdict_201(stores, "TAG-G") ==
        R"({"status":"Accepted","groupIdToken":{"idToken":"FLEET-0123456789-ABCDEF","type":"Central"}})");
  // 1.6 idTags are at most 20 characters.
  CHECK(verdict_16(stores, "TAG-G") == R"({"status":"Accepted","parentIdTag":"FLEET-0123456789-ABC"})");
}

TEST_CASE("a token whose cache mode is NEVER expires from the station's cache at once", "[authorization]") {
  BothStores stores;
  TokenRecord token;
  token.uid = "TAG-N";
  token.type = "RFID";
  token.cache_mode = "NEVER";
  put(stores, Table::tokens, token.uid, to_json(token));
  CHECK(verdict_201(stores, "TAG-N") == R"({"status":"Accepted","cacheExpiryDateTime":"2025-11-24T16:00:00.000Z"})");
}

TEST_CASE("a token is found as sent or upper-cased (2.0.1 idTokens are case-insensitive), never lower-cased",
          "[authorization]") {
  BothStores stores;
  add_token(stores, "ABC123");
  add_token(stores, "def456");
  CHECK(verdict_201(stores, "abc123") == R"({"status":"Accepted"})");
  CHECK(verdict_201(stores, "def456") == R"({"status":"Accepted"})");
  CHECK(verdict_201(stores, "DEF456") == R"({"status":"Unknown"})");
}

TEST_CASE("a token charging in another transaction is ConcurrentTx, in its own transaction Accepted",
          "[authorization]") {
  BothStores stores;
  add_token(stores, "TAG-A");
  put(stores, Table::tx_index, active_token_key("TAG-A"), storage::key({kStation, "7"}));
  CHECK(verdict_201(stores, "TAG-A", kNow, "8") == R"({"status":"ConcurrentTx"})");
  CHECK(verdict_201(stores, "TAG-A", kNow, "7") == R"({"status":"Accepted"})");
}

TEST_CASE("a damaged token record authorizes nobody", "[authorization]") {
  BothStores stores;
  put(stores, Table::tokens, "NOT-JSON", "{{{");
  put(stores, Table::tokens, "NO-VALID", R"({"uid":"NO-VALID","type":"RFID"})");  // "valid" missing
  CHECK(verdict_201(stores, "NOT-JSON") == R"({"status":"Unknown"})");
  CHECK(verdict_201(stores, "NO-VALID") == R"({"status":"Blocked"})");
}

}  // namespace
