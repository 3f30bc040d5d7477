#include "actors/blocks/handler_kit.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/records/station_budget.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors {

void reply(const IncomingCall& call, std::string payload) {
  CallReply r;
  r.message_id = call.message_id;
  r.ok = true;
  r.payload = std::move(payload);
  r.received = call.received;
  caf::anon_send(call.station, reply_atom::value, std::move(r));
}

void reply_boot(const IncomingCall& call, std::string payload, Registration status) {
  CallReply r;
  r.message_id = call.message_id;
  r.ok = true;
  r.payload = std::move(payload);
  r.received = call.received;
  r.registration = status;
  caf::anon_send(call.station, reply_atom::value, std::move(r));
}

void reply_error(const IncomingCall& call, ocpp::ErrorCode code, std::string description) {
  CallReply r;
  r.message_id = call.message_id;
  r.ok = false;
  r.error = code;
  r.description = std::move(description);
  r.received = call.received;
  caf::anon_send(call.station, reply_atom::value, std::move(r));
}

void commit_then_reply(const NodeContext& ctx, const IncomingCall& call, ReplyingWriteOp op) {
  // The response is computed inside the write transaction (it may depend on what is stored, e.g.
  // a new transaction id) and sent only from the completion, after the commit.
  struct Outcome {
    std::string response;
    std::optional<std::string> over_budget;
  };
  auto outcome = std::make_shared<Outcome>();
  auto log = ctx.handler_log;
  auto* metrics = ctx.metrics;
  ctx.committer->submit(
      [op = std::move(op), outcome](storage::WriteTxn& txn) {
        outcome->over_budget.reset();  // the op may run again (the store grows its map and retries)
        try {
          outcome->response = op(txn);
        } catch (const BudgetExceeded& e) {
          outcome->over_budget = e.what();
          throw;  // undoes what the op wrote before it found the budget full
        }
      },
      [call, outcome, log, metrics](const std::string& error) {
        if (outcome->over_budget) {
          if (metrics) metrics->budget_refusal();
          reply_error(call, ocpp::ErrorCode::generic_error, *outcome->over_budget);
        } else if (error.empty()) {
          reply(call, std::move(outcome->response));
        } else {
          log->error("{}: storing {} failed: {}", call.station_id, call.message_id, error);
          reply_error(call, ocpp::ErrorCode::internal_error, "could not store the message, please retry");
        }
      });
}

BlockActor::behavior_type handler_actor(BlockActor::pointer self, NodeContextPtr ctx, HandlerFn fn) {
  return {
      // Messages are handled in arrival order, so everything received before this is done.
      [self](stop_atom) { self->quit(); },
      [ctx, fn](handle_atom, const IncomingCall& call) {
        try {
          fn(*ctx, call);
        } catch (const std::exception& e) {
          ctx->handler_log->error("{}: handling {} failed: {}", call.station_id, call.message_id, e.what());
          reply_error(call, ocpp::ErrorCode::internal_error, "internal error");
        }
      },
  };
}

}  // namespace evbroker::actors
