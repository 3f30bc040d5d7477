#pragma once
// The handler actors, one per functional block, and the routing table that sends each station
// CALL to the block that answers it.

#include <caf/actor_system.hpp>

#include "actors/handlers/handler_support.hpp"
#include "actors/router.hpp"

namespace evbroker::actors {

// One HandlerFn per functional block; each visits the typed request it is given.
void handle_provisioning(const NodeContext& ctx, const IncomingCall& call);   // boot, heartbeat, status, firmware/log
void handle_authorization(const NodeContext& ctx, const IncomingCall& call);  // Authorize
void handle_transactions(const NodeContext& ctx, const IncomingCall& call);   // transactions, meter values
void handle_reports(const NodeContext& ctx, const IncomingCall& call);        // device model, events, monitoring
void handle_smart_charging(const NodeContext& ctx, const IncomingCall& call); // limits, EV needs, reservations
void handle_data_transfer(const NodeContext& ctx, const IncomingCall& call);  // DataTransfer

/// Spawns the handler actors and fills `router` with every station-initiated action they take.
void install_handlers(caf::actor_system& system, const NodeContextPtr& ctx, Router& router);

}  // namespace evbroker::actors
