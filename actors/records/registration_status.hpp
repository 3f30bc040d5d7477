#pragma once
// A station's registration status (OCPP RegistrationStatus, the same three values in 1.6 and
// 2.0.1): what the operator decided for it (StationRecord.registrationStatus) and what its last
// BootNotification was answered (BootRecord.status). What each allows: actors/station/registration.hpp.

#include <optional>
#include <string_view>

namespace evbroker::actors {

enum class Registration { accepted, pending, rejected };

constexpr std::string_view to_string(Registration status) {
  switch (status) {
    case Registration::accepted: return "Accepted";
    case Registration::pending: return "Pending";
    case Registration::rejected: return "Rejected";
  }
  return "Accepted";
}

constexpr std::optional<Registration> registration_from(std::string_view text) {
  if (text == "Accepted") return Registration::accepted;
  if (text == "Pending") return Registration::pending;
  if (text == "Rejected") return Registration::rejected;
  return std::nullopt;
}

}  // namespace evbroker::actors
