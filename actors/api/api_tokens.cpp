// Authorization tokens (MaEVe's Token shape): create/update, lookup, list, delete.

#include <cctype>

#include "actors/api/api_support.hpp"
#include "actors/records/records.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::api {
namespace {

/// MaEVe's contractId pattern, unanchored as JSON Schema patterns are:
/// [A-Za-z]{2} -? [A-Za-z]{3} -? [A-Za-z0-9]{9} (-? [A-Za-z0-9])?   (an eMAID such as GB-TWK-012345678-V)
bool contains_emaid(std::string_view text) {
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t start = 0; start < text.size(); ++start) {
    std::size_t i = start;
    auto take = [&](std::size_t n, auto accept) {
      for (std::size_t k = 0; k < n; ++k, ++i)
        if (i >= text.size() || !accept(text[i])) return false;
      return true;
    };
    auto optional_dash = [&] {
      if (i < text.size() && text[i] == '-') ++i;
    };
    if (!take(2, alpha)) continue;
    optional_dash();
    if (!take(3, alpha)) continue;
    optional_dash();
    if (take(9, alnum)) return true;  // the optional check digit never makes a match fail
  }
  return false;
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (v == a) return true;
  return false;
}

/// Validates a Token body against MaEVe's schema; the error names the field as a JSON pointer.
std::optional<TokenRecord> parse_token(const simdjson::dom::object& body, std::string& error) {
  TokenRecord t;
  bool seen_country = false, seen_party = false, seen_type = false, seen_uid = false, seen_contract = false,
       seen_issuer = false, seen_valid = false, seen_cache = false;
  for (auto [key, value] : body) {
    const std::string pointer = "/" + std::string(key);
    auto fail = [&](std::string what) {
      error = pointer + ": " + what;
      return std::nullopt;
    };
    if (key == "valid") {
      if (value.get(t.valid) != simdjson::SUCCESS) return fail("expected true or false");
      seen_valid = true;
      continue;
    }
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS) return fail("expected a string");
    auto length_between = [&](std::size_t lo, std::size_t hi) { return text.size() >= lo && text.size() <= hi; };
    if (key == "countryCode") {
      if (!length_between(2, 2)) return fail("expected 2 characters");
      t.country_code = text;
      seen_country = true;
    } else if (key == "partyId") {
      if (!length_between(3, 3)) return fail("expected 3 characters");
      t.party_id = text;
      seen_party = true;
    } else if (key == "type") {
      if (!one_of(text, {"AD_HOC_USER", "APP_USER", "OTHER", "RFID"}))
        return fail("expected AD_HOC_USER, APP_USER, OTHER or RFID");
      t.type = text;
      seen_type = true;
    } else if (key == "uid") {
      if (!length_between(1, 36)) return fail("expected 1 to 36 characters");
      t.uid = text;
      seen_uid = true;
    } else if (key == "contractId") {
      if (!contains_emaid(text)) return fail("not an eMAID (e.g. GB-TWK-012345678-V)");
      t.contract_id = text;
      seen_contract = true;
    } else if (key == "issuer") {
      t.issuer = text;
      seen_issuer = true;
    } else if (key == "cacheMode") {
      if (!one_of(text, {"ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"}))
        return fail("expected ALWAYS, ALLOWED, ALLOWED_OFFLINE or NEVER");
      t.cache_mode = text;
      seen_cache = true;
    } else if (key == "visualNumber") {
      t.visual_number = std::string(text);
    } else if (key == "groupId") {
      if (!length_between(1, 36)) return fail("expected 1 to 36 characters");
      t.group_id = std::string(text);
    } else if (key == "languageCode") {
      if (!length_between(2, 2)) return fail("expected 2 characters");
      t.language_code = std::string(text);
    } else if (key == "lastUpdated") {
      // Set by the node; ignored on create/update (MaEVe's rule).
    } else if (key == "expiryDate") {
      auto when = ocpp::DateTime::parse(text);
      if (!when) return fail("expected an RFC 3339 date-time");
      t.expiry_ms = when->unix_ms();
    } else {
      return fail("unknown property");
    }
  }
  const std::pair<bool, std::string_view> required[] = {
      {seen_country, "countryCode"}, {seen_party, "partyId"}, {seen_type, "type"},   {seen_uid, "uid"},
      {seen_contract, "contractId"}, {seen_issuer, "issuer"}, {seen_valid, "valid"}, {seen_cache, "cacheMode"}};
  for (const auto& [seen, name] : required) {
    if (!seen) {
      error = "/" + std::string(name) + ": missing required property";
      return std::nullopt;
    }
  }
  return t;
}

}  // namespace

void set_token(Request& r) {
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  std::string error;
  auto token = parse_token(*body, error);
  if (!token) return r.respond(error_response(400, error));
  token->last_updated_ms = r.ctx->clock->now_ms();
  auto respond = r.respond;
  r.ctx->committer->submit(
      [uid = token->uid, json = to_json(*token)](storage::WriteTxn& txn) {
        txn.put(storage::Table::tokens, uid, json);
      },
      [respond](const std::string& failure) {
        respond(failure.empty() ? empty_response(201) : error_response(500, "could not store the token: " + failure));
      });
}

void get_token(Request& r) {
  const auto& uid = r.segments.at(1);
  auto stored = r.ctx->store->read().get(storage::Table::tokens, uid);
  if (!stored) return r.respond(error_response(404, "unknown token " + uid));
  r.respond(json_response(200, std::move(*stored)));
}

void list_tokens(Request& r) {
  auto page = parse_page(r);
  if (!page) return;
  std::string body = "[";
  std::size_t index = 0, written = 0;
  r.ctx->store->read().scan(storage::Table::tokens, "", [&](std::string_view, std::string_view value) {
    if (index++ < page->offset) return true;
    if (written++) body += ',';
    body += value;
    return written < page->limit;
  });
  body += ']';
  r.respond(json_response(200, std::move(body)));
}

void delete_token(Request& r) {
  const auto uid = r.segments.at(1);
  auto respond = r.respond;
  auto found = std::make_shared<bool>(false);
  r.ctx->committer->submit([uid, found](storage::WriteTxn& txn) { *found = txn.del(storage::Table::tokens, uid); },
                           [respond, found, uid](const std::string& error) {
                             if (!error.empty())
                               return respond(error_response(500, "could not delete the token: " + error));
                             respond(*found ? empty_response(204) : error_response(404, "unknown token " + uid));
                           });
}

}  // namespace evbroker::actors::api
