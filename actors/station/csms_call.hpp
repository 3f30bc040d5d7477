#pragma once
// Sending one CSMS call to a station actor from another actor and getting back what became of it:
// the one way the API and the node's own flows (Plug & Charge) do it. The station actor answers
// every call itself, before its own deadlines run out (a queued call's send_by, then the call
// timeout once sent), so the request deadline here only guards against a station actor that is
// gone or stuck; when it runs out, the call is withdrawn if it has not gone out, and the result
// says the outcome is unknown rather than guessing.

#include <chrono>
#include <functional>
#include <string>

#include <caf/all.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/station_directory.hpp"

namespace evbroker::actors {

using CsmsCallDone = std::function<void(CsmsCallResult)>;

/// How long `call` may take at most, from the station actor receiving it to its answer: waiting
/// behind earlier calls until its send_by (default one call timeout), then one call timeout.
caf::timespan csms_call_deadline(const NodeSettings& settings, const CsmsCall& call);

/// What the caller is told when its request failed with `error` instead of an answer; withdraws
/// the call of `ticket` at `station` when the request timed out (it may still be queued there).
CsmsCallResult csms_call_failed(const StationActor& station, std::uint64_t ticket, const caf::error& error);

/// The kind of a result as the API and the stored records name it: result, call_error, timeout, ...
std::string_view csms_call_outcome_name(CsmsCallResult::Kind kind);

/// A result saying the station is not connected to this node (the call was not sent).
CsmsCallResult station_not_connected();

/// Sends `call` to `station` (a station actor) from `self` (any actor: typed or not) and reports
/// the result once.
template <class Self>
void request_csms_call(Self* self, const StationActor& station, CsmsCall call, const NodeSettings& settings,
                       CsmsCallDone done) {
  if (call.ticket == 0) call.ticket = next_call_ticket();
  const auto ticket = call.ticket;
  const auto deadline = csms_call_deadline(settings, call);
  self->request(station, deadline, csms_call_atom::value, std::move(call))
      .then([done](CsmsCallResult& result) { done(std::move(result)); },
            [done, station, ticket](caf::error& error) { done(csms_call_failed(station, ticket, error)); });
}

/// Sends `call` to the station `station_id` if it is connected to this node (the node's own flows:
/// Plug & Charge); a disconnected result, at once, when it is not.
template <class Self>
void request_csms_call(Self* self, const NodeContext& ctx, const std::string& station_id, CsmsCall call,
                       CsmsCallDone done) {
  auto entry = ctx.directory ? ctx.directory->find(station_id) : std::nullopt;
  if (!entry) return done(station_not_connected());
  request_csms_call(self, entry->actor, std::move(call), ctx.settings, std::move(done));
}

/// The same from outside any actor (an HTTP handler): a short-lived actor makes the request, so no
/// thread waits.
void spawn_csms_call(caf::actor_system& system, const StationActor& station, CsmsCall call,
                     const NodeSettings& settings, CsmsCallDone done);

}  // namespace evbroker::actors
