#pragma once
// Retention by age: events (table events: security events, notifications, DataTransfers, ...) older
// than --event-retention are deleted, and the room they took in their station's budget is given
// back (station_budget.hpp). One actor per node walks the table now and then: per station it reads
// from the oldest event and stops at the first young one, so a pass costs a seek per station plus
// the events it deletes; deletes go through the group committer in bounded batches.

#include <caf/all.hpp>

#include "actors/core/node_context.hpp"

namespace evbroker::actors {

/// Deletes events older than ctx->settings.event_retention (zero: never) shortly after it starts
/// and then every min(1 h, retention / 2). Quits on stop_atom.
RetentionActor::behavior_type retention_actor(RetentionActor::pointer self, NodeContextPtr ctx);

/// One pass, for tests and the actor: submits the deletes of events recorded before `cutoff_ms`
/// (unix ms) and returns how many it found.
std::size_t delete_events_before(const NodeContext& ctx, std::int64_t cutoff_ms);

}  // namespace evbroker::actors
