#pragma once
// Sending a request the station may take only in parts (actors/station/call_split.hpp): the limits
// it reported, or read first when it reported none, then the parts one after another, and one
// merged answer. A part that fails ends it: what became of that part is the answer.

#include <string>

#include <caf/actor_system.hpp>

#include "actors/core/node_context.hpp"
#include "actors/station/csms_call.hpp"

namespace evbroker::actors::api {

void send_in_parts(caf::actor_system& system, const NodeContext& ctx, const std::string& station_id,
                   const StationActor& station, CsmsCall call, CsmsCallDone done);

}  // namespace evbroker::actors::api
