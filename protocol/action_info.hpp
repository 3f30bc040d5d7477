#pragma once
// Facts about an OCPP action that the schemas do not carry: who may send it, and whether it is
// answered. Each version's generated actions.hpp holds a table of these.

#include <cstdint>
#include <string_view>

namespace evbroker::ocpp {

/// Which side sends the CALL of an action.
enum class Initiator : std::uint8_t {
  charging_station,  // e.g. BootNotification
  csms,              // e.g. Reset
  both,              // DataTransfer
};

struct ActionInfo {
  std::string_view name;  // as on the wire: "BootNotification"
  Initiator initiator;
  bool has_response;  // false only for OCPP 2.1 SEND messages
};

/// True when a charging station may send a CALL of this action.
constexpr bool station_may_call(const ActionInfo& info) noexcept { return info.initiator != Initiator::csms; }

/// True when the CSMS may send a CALL of this action to a station.
constexpr bool csms_may_call(const ActionInfo& info) noexcept { return info.initiator != Initiator::charging_station; }

}  // namespace evbroker::ocpp
