// The data-transfer block: DataTransfer from stations of any vendor.
// Vendors other than Plug & Charge's (security_actor.cpp) are not known: the message is recorded
// for an operator and answered UnknownVendorId, as the specifications ask; with the station's event
// budget full it is not recorded and answered Rejected, saying why.

#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"

namespace evbroker::actors {

namespace {

std::string data_transfer_answer(const IncomingCall& call, bool recorded, std::string_view why) {
  if (call.v16) {
    ocpp16::DataTransferResponse r;
    r.status = recorded ? ocpp16::DataTransferStatus::UnknownVendorId : ocpp16::DataTransferStatus::Rejected;
    if (!recorded) r.data = std::string(why);
    return ocpp::to_json(r);
  }
  ocpp201::DataTransferResponse r;
  r.status =
      recorded ? ocpp201::DataTransferStatusEnumType::UnknownVendorId : ocpp201::DataTransferStatusEnumType::Rejected;
  if (!recorded) {
    r.statusInfo.emplace();
    r.statusInfo->reasonCode = "StorageFull";
    r.statusInfo->additionalInfo = std::string(why.substr(0, 512));
  }
  return ocpp::to_json(r);
}

}  // namespace

void handle_data_transfer(const NodeContext& ctx, const IncomingCall& call) {
  auto* metrics = ctx.metrics;
  commit_then_reply(
      ctx, call,
      [call, metrics, budget = ctx.settings.budgets.events, at = ctx.clock->now_ms()](storage::WriteTxn& txn) {
        if (try_record_event(txn, call.station_id, "DataTransfer", call.payload, budget, at))
          return data_transfer_answer(call, true, {});
        if (metrics) metrics->budget_refusal();
        return data_transfer_answer(call, false, budget_full_message(call.station_id, BudgetKind::events, budget));
      });
}

}  // namespace evbroker::actors
