// Device model, monitoring, security events and customer/display notifications. NotifyReport
// fills table device_model (one entry per component/variable, the latest report wins); the others
// are kept as events for operators (GET /api/v0/cs/{csId}/events).

#include "actors/blocks/device_model.hpp"

#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"

namespace evbroker::actors::device_model {

std::string report_key(std::string_view station, const ocpp201::ComponentType& c, const ocpp201::VariableType& v) {
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

std::string store_report(storage::WriteTxn& txn, std::string_view station, const ocpp201::NotifyReportRequest& r,
                         const Budget& budget) {
  if (r.reportData)
    for (const auto& data : *r.reportData)
      put_within_budget(txn, storage::Table::device_model, report_key(station, data.component, data.variable),
                        ocpp::to_json(data), station, BudgetKind::device_model, budget);
  return "{}";
}

}  // namespace evbroker::actors::device_model

namespace evbroker::actors {
namespace {

void on_notify_report(const NodeContext& ctx, const IncomingCall& call) {
  auto request = call.v201;
  commit_then_reply(
      ctx, call,
      [station = call.station_id, request, budget = ctx.settings.budgets.device_model](storage::WriteTxn& txn) {
        return device_model::store_report(txn, station, std::get<ocpp201::NotifyReportRequest>(*request), budget);
      });
}

void as_event(const NodeContext& ctx, const IncomingCall& call, std::string_view type) {
  commit_then_reply(ctx, call,
                    [station = call.station_id, type = std::string(type), payload = call.payload,
                     budget = ctx.settings.budgets.events, at = ctx.clock->now_ms()](storage::WriteTxn& txn) {
                      record_event(txn, station, type, payload, budget, at);
                      return std::string("{}");
                    });
}

}  // namespace

void handle_device_model(const NodeContext& ctx, const IncomingCall& call) {
  if (call.v16) {
    if (std::holds_alternative<ocpp16::SecurityEventNotificationRequest>(*call.v16))
      return as_event(ctx, call, "SecurityEventNotification");
    return reply_error(call, ocpp::ErrorCode::not_supported, "not a report message");
  }
  std::visit(
      Overloaded{
          [&](const ocpp201::NotifyReportRequest&) { on_notify_report(ctx, call); },
          [&](const ocpp201::NotifyEventRequest&) { as_event(ctx, call, "NotifyEvent"); },
          [&](const ocpp201::NotifyMonitoringReportRequest&) { as_event(ctx, call, "NotifyMonitoringReport"); },
          [&](const ocpp201::SecurityEventNotificationRequest&) { as_event(ctx, call, "SecurityEventNotification"); },
          [&](const ocpp201::NotifyCustomerInformationRequest&) { as_event(ctx, call, "NotifyCustomerInformation"); },
          [&](const ocpp201::NotifyDisplayMessagesRequest&) { as_event(ctx, call, "NotifyDisplayMessages"); },
          [&](const auto&) { reply_error(call, ocpp::ErrorCode::not_supported, "not a report message"); },
      },
      *call.v201);
}

}  // namespace evbroker::actors
