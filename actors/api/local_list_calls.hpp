#pragma once
// What an operator's call through POST /api/v0/cs/{csId}/call/{Action} means for the local list the
// node keeps on the station (api_local_lists.cpp): an accepted CustomerInformation that clears a
// token's data (N10: the station forgets the customer, its local list entry too) makes the node
// forget that entry and synchronise; an accepted SendLocalList makes the node's next update a Full
// one (the node's list wins over one sent by hand).

#include <optional>
#include <string>
#include <string_view>

#include <caf/actor_system.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"

namespace evbroker::actors::api {

struct LocalListEffect {
  std::string station;
  bool send_local_list = false;
  std::optional<std::string> cleared_token;  // CustomerInformation clear of this idToken
};

/// The effect `call` may have, when it has one.
std::optional<LocalListEffect> local_list_effect(std::string_view station, const CsmsCall& call);
/// Applies it after the station answered `result`.
void apply_local_list_effect(caf::actor_system& system, const NodeContextPtr& ctx, const LocalListEffect& effect,
                             const CsmsCallResult& result);

}  // namespace evbroker::actors::api
