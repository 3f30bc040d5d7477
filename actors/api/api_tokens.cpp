// Authorization tokens (MaEVe's Token shape): create/update, lookup, list, delete.

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/records/records.hpp"

namespace evbroker::actors::api {
namespace {

/// The record a Token body (already checked against its schema) is stored as.
TokenRecord token_record(bodies::Token body) {
  TokenRecord t;
  t.country_code = std::move(body.country_code);
  t.party_id = std::move(body.party_id);
  t.type = std::move(body.type);
  t.uid = std::move(body.uid);
  t.contract_id = std::move(body.contract_id);
  t.visual_number = std::move(body.visual_number);
  t.issuer = std::move(body.issuer);
  t.group_id = std::move(body.group_id);
  t.valid = body.valid;
  t.language_code = std::move(body.language_code);
  t.cache_mode = std::move(body.cache_mode);
  t.expiry_ms = body.expiry_date_ms;
  return t;
}

}  // namespace

void set_token(Request& r) {
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_token(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  auto token = token_record(std::move(*decoded));
  token.last_updated_ms = r.ctx->clock->now_ms();
  auto respond = r.respond;
  r.ctx->committer->submit(
      [uid = token.uid, json = to_json(token)](storage::WriteTxn& txn) { txn.put(storage::Table::tokens, uid, json); },
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
