// The data-transfer block: DataTransfer from stations of any vendor.
// Vendors other than Plug & Charge's (security_actor.cpp) are not known: the message is recorded
// for an operator and answered UnknownVendorId, as the specifications ask; with the station's event
// budget full it is not recorded and answered Rejected, saying why.

#include "actors/blocks/data_transfer.hpp"

#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"

namespace evbroker::actors::data_transfer {
namespace {

std::string answer(ocpp::Version version, bool recorded, std::string_view why) {
  if (version == ocpp::Version::v16) {
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

Outcome record(storage::WriteTxn& txn, ocpp::Version version, std::string_view station, std::string_view payload,
               const Budget& budget, std::int64_t at_ms) {
  if (try_record_event(txn, station, "DataTransfer", payload, budget, at_ms)) return {answer(version, true, {}), false};
  return {answer(version, false, budget_full_message(station, BudgetKind::events, budget)), true};
}

}  // namespace evbroker::actors::data_transfer

namespace evbroker::actors {

void handle_data_transfer(const NodeContext& ctx, const IncomingCall& call) {
  auto* metrics = ctx.metrics;
  const auto version = call.v16 ? ocpp::Version::v16 : ocpp::Version::v201;
  commit_then_reply(
      ctx, call,
      [call, version, metrics, budget = ctx.settings.budgets.events, at = ctx.clock->now_ms()](storage::WriteTxn& txn) {
        auto outcome = data_transfer::record(txn, version, call.station_id, call.payload, budget, at);
        if (outcome.refused && metrics) metrics->budget_refusal();
        return std::move(outcome.answer);
      });
}

}  // namespace evbroker::actors
