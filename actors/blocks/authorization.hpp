#pragma once
// Deciding whether an id token may charge, from the token store (table `tokens`). Shared by
// Authorize and by the transaction messages that carry a token.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

struct TokenVerdict {
  enum class Status { accepted, blocked, expired, unknown, concurrent_tx } status = Status::unknown;
  std::optional<std::string> group_id;
  std::optional<std::int64_t> expiry_ms;  // when the station must stop trusting its cached answer
};

/// Looks the token up (exactly, then upper-cased: 2.0.1 idTokens are case-insensitive).
/// `busy_elsewhere`: the token has an active transaction other than `own_transaction` (1.6).
/// `now_ms` is the time expiries are judged against (NodeContext::clock).
TokenVerdict judge_token(const storage::Reader& reader, std::int64_t now_ms, std::string_view id_token,
                         std::string_view own_station = {}, std::string_view own_transaction = {});

/// A token the node does not know that an active reservation at `station` is for is accepted there
/// (the operator reserved for it, H01.FR.23), with the reservation's group and until its expiry.
/// A token the node knows keeps its own verdict: a blocked one stays blocked. The transaction that
/// used the reservation (`own_transaction`) keeps it accepted.
void honour_reservation(const storage::Reader& reader, std::int64_t now_ms, std::string_view station,
                        std::string_view id_token, TokenVerdict& verdict, std::string_view own_transaction = {});

ocpp16::IdTagInfo to_id_tag_info(const TokenVerdict& verdict);
ocpp201::IdTokenInfoType to_id_token_info(const TokenVerdict& verdict);

/// Key of the "active transaction by idTag" index in table tx_index.
std::string active_token_key(std::string_view id_token);

}  // namespace evbroker::actors
