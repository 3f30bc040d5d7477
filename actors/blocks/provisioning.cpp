// Provisioning and station state: BootNotification, Heartbeat, StatusNotification, and the
// firmware / log / diagnostics status notifications. What the station reports is kept in table
// station_runtime (key layout in storage/README.md) and shown by GET /api/v0/cs/{csId}.

#include "actors/blocks/provisioning.hpp"

#include "actors/blocks/blocks.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/records/station_budget.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::provisioning {

std::string boot_record(std::int64_t ms, std::string_view payload) {
  return to_json(BootRecord{.booted_at_ms = ms, .payload = std::string(payload)});
}

std::string status_report_record(std::int64_t ms, std::string_view payload) {
  return to_json(StatusReportRecord{.timestamp_ms = ms, .payload = std::string(payload)});
}

std::string connector_status_record(std::int64_t evse, std::int64_t connector, std::string_view status,
                                    std::optional<std::string_view> error_code, const std::optional<std::string>& info,
                                    ocpp::DateTime timestamp) {
  return to_json(
      ConnectorStatusRecord{.evse_id = evse,
                            .connector_id = connector,
                            .status = std::string(status),
                            .error_code = error_code ? std::optional<std::string>(*error_code) : std::nullopt,
                            .info = info,
                            .timestamp_ms = timestamp.unix_ms()});
}

std::string store_connector_status(storage::WriteTxn& txn, std::string_view station, std::int64_t evse,
                                   std::int64_t connector, std::string_view record, std::size_t max_connectors) {
  const auto key = connector_key(station, evse, connector);
  // Each (EVSE, connector) pair is an entry: a station inventing ids must not grow its record.
  if (!txn.get(storage::Table::station_runtime, key)) {
    std::size_t known = 0;
    txn.scan(storage::Table::station_runtime, connector_prefix(station),
             [&](std::string_view, std::string_view) { return ++known < max_connectors; });
    if (known >= max_connectors)
      throw BudgetExceeded("this station already reported " + std::to_string(known) +
                           " connectors, the most the node keeps (--station-max-connectors): status not stored");
  }
  txn.put(storage::Table::station_runtime, key, record);
  return "{}";
}

}  // namespace evbroker::actors::provisioning

namespace evbroker::actors {
namespace {

using provisioning::boot_record;
using provisioning::connector_status_record;
using provisioning::status_report_record;

void on_boot(const NodeContext& ctx, const IncomingCall& call) {
  const auto now = ctx.clock->now_ms();
  const auto interval = ctx.settings.heartbeat_interval.count();
  std::string response;
  if (call.v16) {
    ocpp16::BootNotificationResponse r;
    r.status = ocpp16::RegistrationStatus::Accepted;
    r.currentTime = ocpp::DateTime::from_unix_ms(now);
    r.interval = interval;
    response = ocpp::to_json(r);
  } else {
    ocpp201::BootNotificationResponse r;
    r.status = ocpp201::RegistrationStatusEnumType::Accepted;
    r.currentTime = ocpp::DateTime::from_unix_ms(now);
    r.interval = interval;
    response = ocpp::to_json(r);
  }
  auto log = ctx.handler_log;
  ctx.committer->submit(
      [id = call.station_id, record = boot_record(now, call.payload)](storage::WriteTxn& txn) {
        txn.put(storage::Table::station_runtime, runtime_key(id, RuntimeField::boot), record);
      },
      [call, response = std::move(response), log](const std::string& error) mutable {
        if (!error.empty()) {
          log->error("{}: storing the boot notification failed: {}", call.station_id, error);
          return reply_error(call, ocpp::ErrorCode::internal_error, "could not store the message, please retry");
        }
        reply(call, std::move(response));
        // Settings waiting for this station go out now that it has booted.
        caf::anon_send(call.station, push_atom::value);
      });
}

void on_heartbeat(const NodeContext& ctx, const IncomingCall& call) {
  // Nothing to store: the station actor keeps the last-seen time of every frame.
  const auto now = ctx.clock->now();
  if (call.v16) {
    ocpp16::HeartbeatResponse r;
    r.currentTime = now;
    return reply_with(call, r);
  }
  ocpp201::HeartbeatResponse r;
  r.currentTime = now;
  reply_with(call, r);
}

void on_status(const NodeContext& ctx, const IncomingCall& call, std::int64_t evse, std::int64_t connector,
               std::string record) {
  commit_then_reply(ctx, call,
                    [id = call.station_id, evse, connector, record = std::move(record),
                     max_connectors = ctx.settings.budgets.max_connectors](storage::WriteTxn& txn) {
                      return provisioning::store_connector_status(txn, id, evse, connector, record, max_connectors);
                    });
}

/// Firmware, log, diagnostics and publish-firmware status: the latest one is station state.
void on_status_report(const NodeContext& ctx, const IncomingCall& call, RuntimeField field) {
  auto record = status_report_record(ctx.clock->now_ms(), call.payload);
  commit_then_reply(ctx, call, [id = call.station_id, field, record = std::move(record)](storage::WriteTxn& txn) {
    txn.put(storage::Table::station_runtime, runtime_key(id, field), record);
    return std::string("{}");
  });
}

}  // namespace

void handle_provisioning(const NodeContext& ctx, const IncomingCall& call) {
  if (call.v16) {
    std::visit(
        Overloaded{
            [&](const ocpp16::BootNotificationRequest&) { on_boot(ctx, call); },
            [&](const ocpp16::HeartbeatRequest&) { on_heartbeat(ctx, call); },
            [&](const ocpp16::StatusNotificationRequest& r) {
              const auto when = r.timestamp.value_or(ctx.clock->now());
              on_status(ctx, call, r.connectorId, r.connectorId,
                        connector_status_record(r.connectorId, r.connectorId, ocpp16::to_string(r.status),
                                                ocpp16::to_string(r.errorCode), r.info, when));
            },
            [&](const ocpp16::FirmwareStatusNotificationRequest&) {
              on_status_report(ctx, call, RuntimeField::firmware);
            },
            [&](const ocpp16::SignedFirmwareStatusNotificationRequest&) {
              on_status_report(ctx, call, RuntimeField::firmware);
            },
            [&](const ocpp16::DiagnosticsStatusNotificationRequest&) {
              on_status_report(ctx, call, RuntimeField::diagnostics);
            },
            [&](const ocpp16::LogStatusNotificationRequest&) { on_status_report(ctx, call, RuntimeField::log); },
            [&](const auto&) { reply_error(call, ocpp::ErrorCode::not_supported, "not a provisioning message"); },
        },
        *call.v16);
    return;
  }
  std::visit(Overloaded{
                 [&](const ocpp201::BootNotificationRequest&) { on_boot(ctx, call); },
                 [&](const ocpp201::HeartbeatRequest&) { on_heartbeat(ctx, call); },
                 [&](const ocpp201::StatusNotificationRequest& r) {
                   on_status(ctx, call, r.evseId, r.connectorId,
                             connector_status_record(r.evseId, r.connectorId, ocpp201::to_string(r.connectorStatus),
                                                     std::nullopt, std::nullopt, r.timestamp));
                 },
                 [&](const ocpp201::FirmwareStatusNotificationRequest&) {
                   on_status_report(ctx, call, RuntimeField::firmware);
                 },
                 [&](const ocpp201::PublishFirmwareStatusNotificationRequest&) {
                   on_status_report(ctx, call, RuntimeField::publish_firmware);
                 },
                 [&](const ocpp201::LogStatusNotificationRequest&) { on_status_report(ctx, call, RuntimeField::log); },
                 [&](const auto&) { reply_error(call, ocpp::ErrorCode::not_supported, "not a provisioning message"); },
             },
             *call.v201);
}

}  // namespace evbroker::actors
