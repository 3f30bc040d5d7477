#include "actors/station/registration.hpp"

#include <algorithm>
#include <variant>

#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

namespace evbroker::actors {
namespace {

/// The station CALL a TriggerMessage's requestedMessage asks for (the names are the actions' own,
/// except the certificate triggers, which ask for SignCertificate).
std::string triggered_action(std::string_view requested) {
  if (requested.rfind("Sign", 0) == 0) return "SignCertificate";
  return std::string(requested);
}

/// What a call asks the station to send, if anything: the triggered action, NotifyReport for a report.
std::optional<std::string> requested_by(const ocpp::DecodedRequest& request) {
  if (request.v201) {
    if (const auto* trigger = std::get_if<ocpp201::TriggerMessageRequest>(request.v201.get()))
      return triggered_action(ocpp201::to_string(trigger->requestedMessage));
    if (std::holds_alternative<ocpp201::GetBaseReportRequest>(*request.v201) ||
        std::holds_alternative<ocpp201::GetReportRequest>(*request.v201))
      return "NotifyReport";
  }
  if (request.v16) {
    if (const auto* trigger = std::get_if<ocpp16::TriggerMessageRequest>(request.v16.get()))
      return triggered_action(ocpp16::to_string(trigger->requestedMessage));
    if (const auto* trigger = std::get_if<ocpp16::ExtendedTriggerMessageRequest>(request.v16.get()))
      return triggered_action(ocpp16::to_string(trigger->requestedMessage));
  }
  return std::nullopt;
}

bool starts_or_stops_a_transaction(std::string_view action) {
  return action == "RequestStartTransaction" || action == "RequestStopTransaction" ||
         action == "RemoteStartTransaction" || action == "RemoteStopTransaction";
}

}  // namespace

RegistrationGate RegistrationGate::at_connect(Registration decided, std::optional<Registration> told) {
  RegistrationGate gate;
  gate.decided_ = decided;
  gate.told_ = told;
  return gate;
}

std::optional<std::string> RegistrationGate::refuse_incoming(std::string_view action) const {
  if (action == "BootNotification" || accepted()) return std::nullopt;
  const auto now = effective();
  if (!now) return "the station has not booted: send BootNotification first";
  if (*now == Registration::rejected) return "the station's registration is Rejected: only BootNotification is allowed";
  if (told_ == Registration::pending && std::find(requested_.begin(), requested_.end(), action) != requested_.end())
    return std::nullopt;
  return "the station's registration is Pending: only BootNotification and the messages the CSMS asked for "
         "(TriggerMessage, GetBaseReport, GetReport) are allowed";
}

std::optional<std::string> RegistrationGate::refuse_outgoing(const ocpp::ActionRef& action,
                                                             const ocpp::DecodedRequest& request) const {
  if (accepted()) return std::nullopt;
  // What the station was told decides what it takes: one told Rejected takes nothing but a
  // trigger to boot; one still told Accepted (revoked since) can be sent a Reset to make it boot.
  if (told_ == Registration::rejected) {
    if (requested_by(request) == std::optional<std::string>("BootNotification")) return std::nullopt;
    return "the station's registration is Rejected: the CSMS sends it only TriggerMessage BootNotification "
           "until it is accepted";
  }
  if (starts_or_stops_a_transaction(action.name()))
    return std::string(action.name()) + " is not allowed while the station's registration is " +
           (effective() ? std::string(to_string(*effective())) : std::string("not known yet (it has not booted)"));
  return std::nullopt;
}

void RegistrationGate::sent(const ocpp::DecodedRequest& request) {
  if (accepted()) return;
  auto requested = requested_by(request);
  if (requested && std::find(requested_.begin(), requested_.end(), *requested) == requested_.end())
    requested_.push_back(std::move(*requested));  // distinct action names: a handful at most
}

void RegistrationGate::answered_boot(Registration status) {
  told_ = status;
  requested_.clear();
}

}  // namespace evbroker::actors
