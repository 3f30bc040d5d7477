#pragma once
// The functional blocks: one HandlerFn each, run in its own handler actor (handler_kit.hpp) and
// reached through the routing table (actors/routes.cpp). One file per block.

#include "actors/blocks/handler_kit.hpp"

namespace evbroker::actors {

// One HandlerFn per functional block; each visits the typed request it is given.
void handle_provisioning(const NodeContext& ctx,
                         const IncomingCall& call);  // provisioning.cpp: boot, heartbeat, status, firmware/log
void handle_authorization(const NodeContext& ctx, const IncomingCall& call);  // authorization.cpp: Authorize
void handle_transactions(const NodeContext& ctx,
                         const IncomingCall& call);  // transactions.cpp: transactions, meter values
void handle_device_model(const NodeContext& ctx,
                         const IncomingCall& call);  // device_model.cpp: reports, events, monitoring
void handle_smart_charging(const NodeContext& ctx,
                           const IncomingCall& call);  // smart_charging.cpp: limits, EV needs and schedules
void handle_reservations(const NodeContext& ctx,
                         const IncomingCall& call);  // reservations.cpp: ReservationStatusUpdate
void handle_data_transfer(const NodeContext& ctx, const IncomingCall& call);  // data_transfer.cpp: DataTransfer

}  // namespace evbroker::actors
