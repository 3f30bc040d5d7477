#pragma once
// The handler kit, what every functional block uses: answering a station CALL now, or after the
// store committed what the CALL changed ("acknowledged means durable"), and the actor each block
// runs in. The time comes from ctx.clock (actors/core/clock.hpp).

#include <functional>
#include <string>
#include <string_view>

#include <caf/all.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/overloaded.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors {

/// Answers the CALL with a CALLRESULT carrying `payload` (response JSON).
void reply(const IncomingCall& call, std::string payload);
/// Answers a BootNotification with `payload`, telling the station actor the status it gave.
void reply_boot(const IncomingCall& call, std::string payload, Registration status);
/// Answers the CALL with a CALLERROR.
void reply_error(const IncomingCall& call, ocpp::ErrorCode code, std::string description);
/// Encodes a generated response message and answers with it.
template <class Response>
void reply_with(const IncomingCall& call, const Response& response) {
  reply(call, ocpp::to_json(response));
}

/// Runs `op` in the store's next group commit; answers the CALL with what `op` returned once the
/// commit is durable, or with InternalError when the write failed (the station will retry). An op
/// that throws BudgetExceeded (station_budget.hpp) is undone as a whole and the station gets a
/// CALLERROR GenericError saying which budget is full.
using ReplyingWriteOp = std::function<std::string(storage::WriteTxn&)>;
void commit_then_reply(const NodeContext& ctx, const IncomingCall& call, ReplyingWriteOp op);

/// A handler of one functional block: called for each CALL routed to it, in the handler actor.
using HandlerFn = void (*)(const NodeContext& ctx, const IncomingCall& call);

/// The actor behind a HandlerFn: one per functional block. Handlers keep no state of their own
/// (all of it lives in the store), so one actor per block is enough and keeps writes of one block
/// in arrival order.
BlockActor::behavior_type handler_actor(BlockActor::pointer self, NodeContextPtr ctx, HandlerFn fn);

}  // namespace evbroker::actors
