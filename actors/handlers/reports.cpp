// Device model, monitoring, security events and customer/display notifications. NotifyReport
// fills table device_model (one entry per component/variable, the latest report wins); the others
// are kept as events for operators (GET /api/v0/cs/{csId}/events).

#include "actors/handlers/handlers.hpp"
#include "actors/handlers/transaction_keys.hpp"

namespace evbroker::actors {
namespace {

/// <component>[;<instance>[;<evseId>[;<connectorId>]]] \0 <variable>[;<instance>]
std::string device_model_key(std::string_view station, const ocpp201::ComponentType& c, const ocpp201::VariableType& v) {
  std::string component = c.name;
  if (c.instance || c.evse) component += ";" + c.instance.value_or("");
  if (c.evse) {
    component += ";" + std::to_string(c.evse->id);
    if (c.evse->connectorId) component += ";" + std::to_string(*c.evse->connectorId);
  }
  std::string variable = v.name;
  if (v.instance) variable += ";" + *v.instance;
  return storage::key({station, component, variable});
}

void on_notify_report(const NodeContext& ctx, const IncomingCall& call) {
  auto request = call.v201;
  commit_then_reply(ctx, call, [station = call.station_id, request, budget = ctx.settings.budgets.device_model](
                                   storage::WriteTxn& txn) {
    const auto& r = std::get<ocpp201::NotifyReportRequest>(*request);
    if (r.reportData)
      for (const auto& data : *r.reportData)
        put_within_budget(txn, storage::Table::device_model, device_model_key(station, data.component, data.variable),
                          ocpp::to_json(data), station, BudgetKind::device_model, budget);
    return std::string("{}");
  });
}

void as_event(const NodeContext& ctx, const IncomingCall& call, std::string_view type) {
  commit_then_reply(ctx, call, [station = call.station_id, type = std::string(type), payload = call.payload,
                                budget = ctx.settings.budgets.events](storage::WriteTxn& txn) {
    record_event(txn, station, type, payload, budget);
    return std::string("{}");
  });
}

}  // namespace

void handle_reports(const NodeContext& ctx, const IncomingCall& call) {
  if (call.v16) {
    if (std::holds_alternative<ocpp16::SecurityEventNotificationRequest>(*call.v16))
      return as_event(ctx, call, "SecurityEventNotification");
    return reply_error(call, ocpp::ErrorCode::not_supported, "not a report message");
  }
  std::visit(Overloaded{
                 [&](const ocpp201::NotifyReportRequest&) { on_notify_report(ctx, call); },
                 [&](const ocpp201::NotifyEventRequest&) { as_event(ctx, call, "NotifyEvent"); },
                 [&](const ocpp201::NotifyMonitoringReportRequest&) { as_event(ctx, call, "NotifyMonitoringReport"); },
                 [&](const ocpp201::SecurityEventNotificationRequest&) {
                   as_event(ctx, call, "SecurityEventNotification");
                 },
                 [&](const ocpp201::NotifyCustomerInformationRequest&) {
                   as_event(ctx, call, "NotifyCustomerInformation");
                 },
                 [&](const ocpp201::NotifyDisplayMessagesRequest&) { as_event(ctx, call, "NotifyDisplayMessages"); },
                 [&](const auto&) { reply_error(call, ocpp::ErrorCode::not_supported, "not a report message"); },
             },
             *call.v201);
}

// ---- smart charging and reservations ------------------------------------------------------------
// evbroker has no charging-profile engine of its own: operators send profiles through the call
// API. What stations report is kept as events so that such an engine (or a person) can act on it.
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
  commit_then_reply(ctx, call, [station = call.station_id, type, payload = call.payload, response = std::move(response),
                                budget = ctx.settings.budgets.events](storage::WriteTxn& txn) {
    record_event(txn, station, type, payload, budget);
    return response;
  });
}

// ---- DataTransfer --------------------------------------------------------------------------------
// Vendors other than Plug & Charge's (security_actor.cpp) are not known: the message is recorded
// for an operator and answered UnknownVendorId, as the specifications ask; with the station's event
// budget full it is not recorded and answered Rejected, saying why.
namespace {

std::string data_transfer_answer(const IncomingCall& call, bool recorded, std::string_view why) {
  if (call.v16) {
    ocpp16::DataTransferResponse r;
    r.status = recorded ? ocpp16::DataTransferStatus::UnknownVendorId : ocpp16::DataTransferStatus::Rejected;
    if (!recorded) r.data = std::string(why);
    return ocpp::to_json(r);
  }
  ocpp201::DataTransferResponse r;
  r.status = recorded ? ocpp201::DataTransferStatusEnumType::UnknownVendorId : ocpp201::DataTransferStatusEnumType::Rejected;
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
  commit_then_reply(ctx, call, [call, metrics, budget = ctx.settings.budgets.events](storage::WriteTxn& txn) {
    if (try_record_event(txn, call.station_id, "DataTransfer", call.payload, budget))
      return data_transfer_answer(call, true, {});
    if (metrics) metrics->budget_refusal();
    return data_transfer_answer(call, false, budget_full_message(call.station_id, BudgetKind::events, budget));
  });
}

}  // namespace evbroker::actors
