// The smart-charging block: charging limits, EV charging needs and schedules, profile reports.
// evbroker has no charging-profile engine of its own: operators send profiles through the call
// API. What stations report is kept as events so that such an engine (or a person) can act on it.

#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"

namespace evbroker::actors {

void handle_smart_charging(const NodeContext& ctx, const IncomingCall& call) {
  if (!call.v201) return reply_error(call, ocpp::ErrorCode::not_supported, "not a smart charging message");
  const std::string type(ocpp201::to_string(ocpp201::action_of(*call.v201)));
  std::string response = "{}";
  if (std::holds_alternative<ocpp201::NotifyEVChargingNeedsRequest>(*call.v201)) {
    // Accepted: the needs are recorded and a profile may follow through the call API.
    ocpp201::NotifyEVChargingNeedsResponse r;
    r.status = ocpp201::NotifyEVChargingNeedsStatusEnumType::Accepted;
    response = ocpp::to_json(r);
  } else if (std::holds_alternative<ocpp201::NotifyEVChargingScheduleRequest>(*call.v201)) {
    ocpp201::NotifyEVChargingScheduleResponse r;
    r.status = ocpp201::GenericStatusEnumType::Accepted;
    response = ocpp::to_json(r);
  }
  commit_then_reply(ctx, call,
                    [station = call.station_id, type, payload = call.payload, response = std::move(response),
                     budget = ctx.settings.budgets.events, at = ctx.clock->now_ms()](storage::WriteTxn& txn) {
                      record_event(txn, station, type, payload, budget, at);
                      return response;
                    });
}

}  // namespace evbroker::actors
