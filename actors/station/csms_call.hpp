#pragma once
// Sending one CSMS call to a station actor from another actor and getting back what became of it:
// the one way the API and the node's own flows (Plug & Charge) do it. The station actor answers
// every call itself, before its own deadlines run out (a queued call's send_by, then the call
// timeout once sent), so the request deadline here only guards against a station actor that is
// gone or stuck; when it runs out, the call is withdrawn if it has not gone out, and the result
// says the outcome is unknown rather than guessing.

#include <chrono>
#include <functional>

#include <caf/all.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"

namespace evbroker::actors {

using CsmsCallDone = std::function<void(CsmsCallResult)>;

/// How long `call` may take at most, from the station actor receiving it to its answer: waiting
/// behind earlier calls until its send_by (default one call timeout), then one call timeout.
caf::timespan csms_call_deadline(const NodeSettings& settings, const CsmsCall& call);

/// Sends `call` to `station` (a station actor) from `self` and reports the result once.
void request_csms_call(caf::event_based_actor* self, const caf::actor& station, CsmsCall call,
                       const NodeSettings& settings, CsmsCallDone done);

/// Sends `call` to the station `station_id` if it is connected to this node (the node's own flows:
/// Plug & Charge); a disconnected result, at once, when it is not.
void request_csms_call(caf::event_based_actor* self, const NodeContext& ctx, const std::string& station_id,
                       CsmsCall call, CsmsCallDone done);

/// The same from outside any actor (an HTTP handler): a short-lived actor makes the request, so no
/// thread waits.
void spawn_csms_call(caf::actor_system& system, const caf::actor& station, CsmsCall call, const NodeSettings& settings,
                     CsmsCallDone done);

}  // namespace evbroker::actors
