// The routing table: which functional block answers which station-initiated action.

#include "actors/routes.hpp"

#include "actors/blocks/blocks.hpp"
#include "actors/blocks/retention.hpp"
#include "actors/pnc/backend_actor.hpp"
#include "actors/pnc/security_actor.hpp"

namespace evbroker::actors {
namespace {

template <class Action>
void route(Router& router, ocpp::Version version, const BlockActor& handler, std::initializer_list<Action> actions) {
  for (auto a : actions) router.add(version, static_cast<std::size_t>(a), handler);
}

}  // namespace

void install_handlers(caf::actor_system& system, const NodeContextPtr& ctx, Router& router) {
  auto spawn = [&](HandlerFn fn) { return system.spawn(handler_actor, ctx, fn); };
  using A16 = ocpp16::Action;
  using A201 = ocpp201::Action;
  constexpr auto v16 = ocpp::Version::v16;
  constexpr auto v201 = ocpp::Version::v201;

  auto provisioning = spawn(&handle_provisioning);
  route(router, v16, provisioning,
        {A16::BootNotification, A16::Heartbeat, A16::StatusNotification, A16::FirmwareStatusNotification,
         A16::SignedFirmwareStatusNotification, A16::DiagnosticsStatusNotification, A16::LogStatusNotification});
  route(router, v201, provisioning,
        {A201::BootNotification, A201::Heartbeat, A201::StatusNotification, A201::FirmwareStatusNotification,
         A201::PublishFirmwareStatusNotification, A201::LogStatusNotification});

  auto authorization = spawn(&handle_authorization);
  route(router, v16, authorization, {A16::Authorize});

  // Certificates and Plug & Charge. 2.0.1 Authorize goes here because it may carry a contract
  // certificate; 1.6 DataTransfer because it may carry iso15118pnc messages. The security actor
  // hands plain ones on to the authorization and data-transfer blocks.
  router.set_backend(spawn_backend_actor(system, ctx));
  auto security = spawn_security_actor(system, ctx);
  router.set_security(security);
  route(router, v16, security, {A16::SignCertificate, A16::DataTransfer});
  route(router, v201, security,
        {A201::Authorize, A201::SignCertificate, A201::Get15118EVCertificate, A201::GetCertificateStatus});

  auto transactions = spawn(&handle_transactions);
  route(router, v16, transactions, {A16::StartTransaction, A16::StopTransaction, A16::MeterValues});
  route(router, v201, transactions, {A201::TransactionEvent, A201::MeterValues});

  auto device_model = spawn(&handle_device_model);
  route(router, v16, device_model, {A16::SecurityEventNotification});
  route(router, v201, device_model,
        {A201::NotifyReport, A201::NotifyEvent, A201::NotifyMonitoringReport, A201::SecurityEventNotification,
         A201::NotifyCustomerInformation, A201::NotifyDisplayMessages});

  auto smart_charging = spawn(&handle_smart_charging);
  route(router, v201, smart_charging,
        {A201::NotifyChargingLimit, A201::ClearedChargingLimit, A201::NotifyEVChargingNeeds,
         A201::NotifyEVChargingSchedule, A201::ReportChargingProfiles});

  auto reservations = spawn(&handle_reservations);
  route(router, v201, reservations, {A201::ReservationStatusUpdate});

  auto data_transfer = spawn(&handle_data_transfer);
  route(router, v201, data_transfer, {A201::DataTransfer});

  // Not a handler: deletes events past their retention age (registered to be stopped with them).
  router.set_retention(system.spawn(retention_actor, ctx));
}

}  // namespace evbroker::actors
