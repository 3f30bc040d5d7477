// Authorization tokens (MaEVe's Token shape): create/update, lookup, list, delete. A token's
// localList scope puts it on the local authorization lists of stations (station/local_list.hpp):
// each write keeps the scope index right in the same store write, and once it is stored the
// stations the old or new scope covers are brought up to date.

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/records/records.hpp"
#include "actors/station/local_list_sync.hpp"

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
  if (body.local_list) {
    auto scope = ocpp::to_json(*body.local_list);
    if (!parse_local_list_scope(scope).empty()) t.local_list = std::move(scope);
  }
  return t;
}

/// The scope of the token stored under `uid` (none when there is none).
LocalListScope stored_scope(const storage::Reader& reader, std::string_view uid) {
  auto stored = reader.get(storage::Table::tokens, uid);
  auto token = stored ? parse_token_record(*stored) : std::nullopt;
  return token ? parse_local_list_scope(token->local_list) : LocalListScope{};
}

/// After a token write is stored: the stations whose lists it is (or was) on.
void lists_changed(caf::actor_system* system, const NodeContextPtr& ctx, const std::vector<LocalListScope>& scopes) {
  if (ctx->local_lists && system) ctx->local_lists->scopes_changed(*system, ctx, scopes);
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
  auto scopes = std::make_shared<std::vector<LocalListScope>>();
  r.ctx->committer->submit(
      [uid = token.uid, json = to_json(token), scope = token.local_list, scopes](storage::WriteTxn& txn) {
        scopes->assign({stored_scope(txn, uid), parse_local_list_scope(scope)});
        reindex_token_scope(txn, uid, scopes->front(), scopes->back());
        txn.put(storage::Table::tokens, uid, json);
      },
      [respond, system = r.system, ctx = r.ctx, scopes](const std::string& failure) {
        if (!failure.empty()) return respond(error_response(500, "could not store the token: " + failure));
        lists_changed(system, ctx, *scopes);
        respond(empty_response(201));
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
  auto scopes = std::make_shared<std::vector<LocalListScope>>();
  r.ctx->committer->submit(
      [uid, found, scopes](storage::WriteTxn& txn) {
        scopes->assign({stored_scope(txn, uid)});
        reindex_token_scope(txn, uid, scopes->front(), {});
        *found = txn.del(storage::Table::tokens, uid);
      },
      [respond, found, uid, system = r.system, ctx = r.ctx, scopes](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not delete the token: " + error));
        if (*found) lists_changed(system, ctx, *scopes);
        respond(*found ? empty_response(204) : error_response(404, "unknown token " + uid));
      });
}

}  // namespace evbroker::actors::api
