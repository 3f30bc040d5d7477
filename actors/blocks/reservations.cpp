// The reservations block: what a station says of a reservation it holds (2.0.1
// ReservationStatusUpdate: it expired, or the station removed it, H04/TC_H_07/TC_H_20). The
// reservation the node made ends in the same write that keeps the message as an event
// (actors/records/reservations.hpp); the API made it and the transactions block marks it used.

#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"
#include "actors/records/reservations.hpp"

namespace evbroker::actors {

void handle_reservations(const NodeContext& ctx, const IncomingCall& call) {
  if (!call.v201 || !std::holds_alternative<ocpp201::ReservationStatusUpdateRequest>(*call.v201))
    return reply_error(call, ocpp::ErrorCode::not_supported, "not a reservation message");
  const auto& update = std::get<ocpp201::ReservationStatusUpdateRequest>(*call.v201);
  const std::string status(ocpp201::to_string(update.reservationUpdateStatus));
  commit_then_reply(ctx, call,
                    [station = call.station_id, id = update.reservationId, status, payload = call.payload,
                     budget = ctx.settings.budgets.events, at = ctx.clock->now_ms()](storage::WriteTxn& txn) {
                      end_reservation(txn, station, id, status,
                                      status == "Expired" ? "the station reported it expired"
                                                          : "the station removed it (ReservationStatusUpdate)",
                                      at);
                      record_event(txn, station, "ReservationStatusUpdate", payload, budget, at);
                      return std::string("{}");
                    });
}

}  // namespace evbroker::actors
