// Provisioning and station state: BootNotification, Heartbeat, StatusNotification, and the
// firmware / log / diagnostics status notifications. What the station reports is kept in table
// station_runtime (key layout in storage/README.md) and shown by GET /api/v0/cs/{csId}.

#include "actors/blocks/provisioning.hpp"

#include "actors/blocks/blocks.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/records.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/records/station_budget.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors::provisioning {

std::string boot_record(std::int64_t ms, std::string_view payload, Registration status) {
  return to_json(
      BootRecord{.booted_at_ms = ms, .payload = std::string(payload), .status = std::string(to_string(status))});
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

/// The registration the station's BootNotification is answered with: its record's (a record an
/// earlier node wrote without one reads as Accepted; the gate refuses unknown stations).
Registration registration_of(const NodeContext& ctx, const std::string& station_id) {
  const auto stored = ctx.store->read().get(storage::Table::stations, station_id);
  const auto record = stored ? parse_station_record(*stored) : std::nullopt;
  return record ? registration_from(record->registration_status).value_or(Registration::accepted)
                : Registration::accepted;
}

template <class Response, class Status>
std::string boot_response(std::int64_t now, std::int64_t interval, Status status) {
  Response r;
  r.status = status;
  r.currentTime = ocpp::DateTime::from_unix_ms(now);
  r.interval = interval;
  return ocpp::to_json(r);
}

void on_boot(const NodeContext& ctx, const IncomingCall& call) {
  const auto now = ctx.clock->now_ms();
  const auto status = registration_of(ctx, call.station_id);
  // Accepted: the heartbeat interval; Pending or Rejected: the least wait before the next boot.
  const auto interval =
      (status == Registration::accepted ? ctx.settings.heartbeat_interval : ctx.settings.boot_retry_interval).count();
  std::string response;
  if (call.v16) {
    ocpp16::RegistrationStatus v16_status{};
    ocpp16::parse_enum(to_string(status), v16_status);
    response = boot_response<ocpp16::BootNotificationResponse>(now, interval, v16_status);
  } else {
    ocpp201::RegistrationStatusEnumType v201_status{};
    ocpp201::parse_enum(to_string(status), v201_status);
    response = boot_response<ocpp201::BootNotificationResponse>(now, interval, v201_status);
  }
  auto log = ctx.handler_log;
  ctx.committer->submit(
      [id = call.station_id, record = boot_record(now, call.payload, status)](storage::WriteTxn& txn) {
        txn.put(storage::Table::station_runtime, runtime_key(id, RuntimeField::boot), record);
      },
      [call, response = std::move(response), status, log](const std::string& error) mutable {
        if (!error.empty()) {
          log->error("{}: storing the boot notification failed: {}", call.station_id, error);
          return reply_error(call, ocpp::ErrorCode::internal_error, "could not store the message, please retry");
        }
        // The station actor learns the answer with it: it opens the gate (registration.hpp) and,
        // for Accepted or Pending, pushes what waits for the station.
        reply_boot(call, std::move(response), status);
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
