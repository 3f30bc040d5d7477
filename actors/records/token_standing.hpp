#pragma once
// What a stored token says of itself at a moment: valid, blocked by the operator, or past its expiry.
// One rule for the answers to Authorize (blocks/authorization.cpp) and the local lists the node
// keeps on stations (station/local_list.cpp), so a station's list never says otherwise than the CSMS.

#include <cstdint>

#include "actors/records/generated/record_types.hpp"

namespace evbroker::actors {

enum class TokenStanding { accepted, blocked, expired };

inline TokenStanding token_standing(const TokenRecord& token, std::int64_t now_ms) {
  if (!token.valid) return TokenStanding::blocked;
  if (token.expiry_ms && *token.expiry_ms <= now_ms) return TokenStanding::expired;
  return TokenStanding::accepted;
}

}  // namespace evbroker::actors
