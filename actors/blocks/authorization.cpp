#include "actors/blocks/authorization.hpp"

#include <algorithm>
#include <cctype>

#include "actors/blocks/blocks.hpp"
#include "actors/records/records.hpp"
#include "actors/records/reservations.hpp"
#include "actors/records/token_standing.hpp"

namespace evbroker::actors {

std::string active_token_key(std::string_view id_token) { return storage::key({"active", id_token}); }

TokenVerdict judge_token(const storage::Reader& reader, std::int64_t now_ms, std::string_view id_token,
                         std::string_view own_station, std::string_view own_transaction) {
  TokenVerdict verdict;
  auto stored = reader.get(storage::Table::tokens, id_token);
  if (!stored) {
    std::string upper(id_token);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (upper != id_token) stored = reader.get(storage::Table::tokens, upper);
  }
  auto token = stored ? parse_token_record(*stored) : std::nullopt;
  if (!token) return verdict;  // unknown
  verdict.group_id = token->group_id;
  switch (token_standing(*token, now_ms)) {
    case TokenStanding::blocked: verdict.status = TokenVerdict::Status::blocked; return verdict;
    case TokenStanding::expired: verdict.status = TokenVerdict::Status::expired; return verdict;
    case TokenStanding::accepted: break;
  }
  // MaEVe's cacheMode: NEVER means the station must not keep the answer, which OCPP expresses
  // as an expiry of now; the others let the station cache it (until the token's own expiry).
  if (token->cache_mode == "NEVER")
    verdict.expiry_ms = now_ms;
  else
    verdict.expiry_ms = token->expiry_ms;
  if (auto active = reader.get(storage::Table::tx_index, active_token_key(id_token))) {
    if (*active != storage::key({own_station, own_transaction})) {
      verdict.status = TokenVerdict::Status::concurrent_tx;
      return verdict;
    }
  }
  verdict.status = TokenVerdict::Status::accepted;
  return verdict;
}

void honour_reservation(const storage::Reader& reader, std::int64_t now_ms, std::string_view station,
                        std::string_view id_token, TokenVerdict& verdict, std::string_view own_transaction) {
  if (verdict.status != TokenVerdict::Status::unknown || station.empty()) return;
  auto reservation = reservation_for_token(reader, station, id_token, now_ms, own_transaction);
  if (!reservation) return;
  verdict.status = TokenVerdict::Status::accepted;
  verdict.group_id = reservation->parent_id_tag;
  verdict.expiry_ms = reservation->expiry_ms;
}

ocpp16::IdTagInfo to_id_tag_info(const TokenVerdict& verdict) {
  ocpp16::IdTagInfo info;
  switch (verdict.status) {
    case TokenVerdict::Status::accepted: info.status = ocpp16::AuthorizationStatus::Accepted; break;
    case TokenVerdict::Status::blocked: info.status = ocpp16::AuthorizationStatus::Blocked; break;
    case TokenVerdict::Status::expired: info.status = ocpp16::AuthorizationStatus::Expired; break;
    case TokenVerdict::Status::unknown: info.status = ocpp16::AuthorizationStatus::Invalid; break;
    case TokenVerdict::Status::concurrent_tx: info.status = ocpp16::AuthorizationStatus::ConcurrentTx; break;
  }
  if (verdict.group_id) info.parentIdTag = verdict.group_id->substr(0, 20);
  if (verdict.expiry_ms) info.expiryDate = ocpp::DateTime::from_unix_ms(*verdict.expiry_ms);
  return info;
}

ocpp201::IdTokenInfoType to_id_token_info(const TokenVerdict& verdict) {
  ocpp201::IdTokenInfoType info;
  switch (verdict.status) {
    case TokenVerdict::Status::accepted: info.status = ocpp201::AuthorizationStatusEnumType::Accepted; break;
    case TokenVerdict::Status::blocked: info.status = ocpp201::AuthorizationStatusEnumType::Blocked; break;
    case TokenVerdict::Status::expired: info.status = ocpp201::AuthorizationStatusEnumType::Expired; break;
    case TokenVerdict::Status::unknown: info.status = ocpp201::AuthorizationStatusEnumType::Unknown; break;
    case TokenVerdict::Status::concurrent_tx: info.status = ocpp201::AuthorizationStatusEnumType::ConcurrentTx; break;
  }
  if (verdict.group_id) {
    ocpp201::IdTokenType group;
    group.idToken = *verdict.group_id;
    group.type = ocpp201::IdTokenEnumType::Central;
    info.groupIdToken = std::move(group);
  }
  if (verdict.expiry_ms) info.cacheExpiryDateTime = ocpp::DateTime::from_unix_ms(*verdict.expiry_ms);
  return info;
}

void handle_authorization(const NodeContext& ctx, const IncomingCall& call) {
  auto reader = ctx.store->read();
  if (call.v16) {
    const auto& request = std::get<ocpp16::AuthorizeRequest>(*call.v16);
    ocpp16::AuthorizeResponse response;
    auto verdict = judge_token(reader, ctx.clock->now_ms(), request.idTag);
    honour_reservation(reader, ctx.clock->now_ms(), call.station_id, request.idTag, verdict);
    // ConcurrentTx is for StartTransaction only: stations also send Authorize to check the tag
    // that stops a running transaction, which must not be refused.
    if (verdict.status == TokenVerdict::Status::concurrent_tx) verdict.status = TokenVerdict::Status::accepted;
    response.idTagInfo = to_id_tag_info(verdict);
    return reply_with(call, response);
  }
  const auto& request = std::get<ocpp201::AuthorizeRequest>(*call.v201);
  ocpp201::AuthorizeResponse response;
  if (request.idToken.type == ocpp201::IdTokenEnumType::NoAuthorization) {
    response.idTokenInfo.status = ocpp201::AuthorizationStatusEnumType::Accepted;
  } else {
    auto verdict = judge_token(reader, ctx.clock->now_ms(), request.idToken.idToken);
    honour_reservation(reader, ctx.clock->now_ms(), call.station_id, request.idToken.idToken, verdict);
    // 2.0.1 has no ConcurrentTx rule for Authorize: the station decides; report the token itself.
    if (verdict.status == TokenVerdict::Status::concurrent_tx) verdict.status = TokenVerdict::Status::accepted;
    response.idTokenInfo = to_id_token_info(verdict);
  }
  reply_with(call, response);
}

}  // namespace evbroker::actors
