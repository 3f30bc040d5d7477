// What a connection may send and be sent by its station's registration status
// (actors/station/registration.hpp; OCPP 2.0.1 B01-B03, 1.6 section 4.2).

#include <catch2/catch.hpp>

#include "actors/station/registration.hpp"
#include "protocol/ocpp_dispatch.hpp"

using namespace evbroker;
using namespace evbroker::actors;

namespace {

template <class Message>
std::optional<std::string> refused(const RegistrationGate& gate, Message message) {
  auto [action, request] = ocpp::typed_request(std::move(message));
  return gate.refuse_outgoing(action, request);
}

template <class Message>
void send(RegistrationGate& gate, Message message) {
  auto [action, request] = ocpp::typed_request(std::move(message));
  gate.sent(request);
}

ocpp201::TriggerMessageRequest trigger(ocpp201::MessageTriggerEnumType what) {
  ocpp201::TriggerMessageRequest request;
  request.requestedMessage = what;
  return request;
}

ocpp16::TriggerMessageRequest trigger(ocpp16::MessageTrigger what) {
  ocpp16::TriggerMessageRequest request;
  request.requestedMessage = what;
  return request;
}

ocpp16::ExtendedTriggerMessageRequest extended_trigger(ocpp16::MessageTriggerEnumType what) {
  ocpp16::ExtendedTriggerMessageRequest request;
  request.requestedMessage = what;
  return request;
}

}  // namespace

TEST_CASE("registration statuses read and write as OCPP names them", "[registration]") {
  for (auto status : {Registration::accepted, Registration::pending, Registration::rejected})
    CHECK(registration_from(to_string(status)) == status);
  CHECK(to_string(Registration::pending) == "Pending");
  CHECK_FALSE(registration_from("accepted"));
  CHECK_FALSE(registration_from(""));
}

TEST_CASE("an accepted station that was told so may send and be sent everything, also after a reconnect",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::accepted, Registration::accepted);
  CHECK(gate.accepted());
  CHECK_FALSE(gate.refuse_incoming("TransactionEvent"));
  CHECK_FALSE(gate.refuse_incoming("StatusNotification"));
  CHECK_FALSE(refused(gate, ocpp201::RequestStartTransactionRequest{}));
  CHECK_FALSE(gate.needs_boot_trigger());
  CHECK_FALSE(gate.accepted_session_revoked());
}

TEST_CASE("a station that never booted may only boot: what it sends first is not taken as if it had",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::accepted, std::nullopt);
  CHECK_FALSE(gate.accepted());
  CHECK_FALSE(gate.refuse_incoming("BootNotification"));
  CHECK(gate.refuse_incoming("StatusNotification") == "the station has not booted: send BootNotification first");
  CHECK(gate.refuse_incoming("TransactionEvent"));
  CHECK_FALSE(gate.needs_boot_trigger());  // it boots by itself
  gate.answered_boot(Registration::accepted);
  CHECK(gate.accepted());
  CHECK_FALSE(gate.refuse_incoming("StatusNotification"));
}

TEST_CASE("TC_B_30 B02.FR.09: a pending station may send only what the CSMS asked for", "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::pending, std::nullopt);
  gate.answered_boot(Registration::pending);
  CHECK_FALSE(gate.refuse_incoming("BootNotification"));
  const auto why = gate.refuse_incoming("StatusNotification");
  REQUIRE(why);
  CHECK(why->find("Pending") != std::string::npos);
  CHECK(gate.refuse_incoming("NotifyEvent"));
  CHECK(gate.refuse_incoming("Heartbeat"));
  CHECK(gate.refuse_incoming("NotifyReport"));

  send(gate, trigger(ocpp201::MessageTriggerEnumType::StatusNotification));
  CHECK_FALSE(gate.refuse_incoming("StatusNotification"));
  CHECK(gate.refuse_incoming("Heartbeat"));
  send(gate, ocpp201::GetBaseReportRequest{});
  CHECK_FALSE(gate.refuse_incoming("NotifyReport"));
  send(gate, trigger(ocpp201::MessageTriggerEnumType::SignChargingStationCertificate));
  CHECK_FALSE(gate.refuse_incoming("SignCertificate"));

  // A new boot starts over: what was asked for before is not allowed any more.
  gate.answered_boot(Registration::pending);
  CHECK(gate.refuse_incoming("StatusNotification"));
  CHECK(gate.refuse_incoming("NotifyReport"));
}

TEST_CASE("1.6: TriggerMessage and ExtendedTriggerMessage allow what they request of a pending station",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::pending, Registration::pending);
  CHECK(gate.refuse_incoming("Heartbeat"));
  send(gate, trigger(ocpp16::MessageTrigger::Heartbeat));
  CHECK_FALSE(gate.refuse_incoming("Heartbeat"));
  send(gate, extended_trigger(ocpp16::MessageTriggerEnumType::SignChargePointCertificate));
  CHECK_FALSE(gate.refuse_incoming("SignCertificate"));
  CHECK(gate.refuse_incoming("StartTransaction"));
}

TEST_CASE("B02.FR.03: the CSMS does not start or stop transactions on a pending station, but prepares it",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::pending, Registration::pending);
  CHECK(refused(gate, ocpp201::RequestStartTransactionRequest{}));
  CHECK(refused(gate, ocpp201::RequestStopTransactionRequest{}));
  CHECK(refused(gate, ocpp16::RemoteStartTransactionRequest{}));
  CHECK(refused(gate, ocpp16::RemoteStopTransactionRequest{}));
  CHECK_FALSE(refused(gate, ocpp201::SetVariablesRequest{}));
  CHECK_FALSE(refused(gate, ocpp201::GetBaseReportRequest{}));
  CHECK_FALSE(refused(gate, trigger(ocpp201::MessageTriggerEnumType::BootNotification)));
  CHECK_FALSE(refused(gate, ocpp16::ChangeConfigurationRequest{}));
}

TEST_CASE("TC_B_30 B03.FR.07: a rejected station may only boot, and is sent only TriggerMessage BootNotification",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::rejected, Registration::rejected);
  CHECK_FALSE(gate.refuse_incoming("BootNotification"));
  CHECK(gate.refuse_incoming("StatusNotification"));
  send(gate, trigger(ocpp201::MessageTriggerEnumType::StatusNotification));
  CHECK(gate.refuse_incoming("StatusNotification"));  // nothing but a boot, even when asked for
  CHECK(refused(gate, ocpp201::SetVariablesRequest{}));
  CHECK(refused(gate, ocpp201::ResetRequest{}));
  CHECK(refused(gate, trigger(ocpp201::MessageTriggerEnumType::Heartbeat)));
  CHECK_FALSE(refused(gate, trigger(ocpp201::MessageTriggerEnumType::BootNotification)));
  CHECK_FALSE(refused(gate, trigger(ocpp16::MessageTrigger::BootNotification)));
}

TEST_CASE("TC_B_31: a station accepted after it was told Pending or Rejected is asked to boot again",
          "[registration]") {
  for (auto told : {Registration::pending, Registration::rejected}) {
    // Accepted while it was away: at the next connection.
    auto gate = RegistrationGate::at_connect(Registration::accepted, told);
    CHECK(gate.needs_boot_trigger());
    CHECK_FALSE(gate.accepted());  // until it has booted and been told
    CHECK(gate.refuse_incoming("StatusNotification"));
    gate.answered_boot(Registration::accepted);
    CHECK_FALSE(gate.needs_boot_trigger());
    CHECK(gate.accepted());

    // Accepted while it is connected.
    auto live = RegistrationGate::at_connect(told, told);
    CHECK_FALSE(live.needs_boot_trigger());
    live.decide(Registration::accepted);
    CHECK(live.needs_boot_trigger());
  }
  // Pending to Rejected and back: the station should hear that too.
  auto gate = RegistrationGate::at_connect(Registration::pending, Registration::pending);
  gate.decide(Registration::rejected);
  CHECK(gate.needs_boot_trigger());
  CHECK(gate.refuse_incoming("StatusNotification"));
}

TEST_CASE("a station told Accepted whose registration is revoked is refused at once and hears it at its next boot",
          "[registration]") {
  auto gate = RegistrationGate::at_connect(Registration::accepted, Registration::accepted);
  gate.decide(Registration::rejected);
  CHECK(gate.accepted_session_revoked());
  CHECK_FALSE(gate.needs_boot_trigger());  // an accepted station refuses it (F06.FR.17)
  CHECK(gate.refuse_incoming("TransactionEvent"));
  CHECK_FALSE(refused(gate, ocpp201::ResetRequest{}));  // what makes it boot now
  CHECK(refused(gate, ocpp201::RequestStartTransactionRequest{}));

  // The same after a reconnect without a boot.
  auto next = RegistrationGate::at_connect(Registration::pending, Registration::accepted);
  CHECK(next.refuse_incoming("TransactionEvent"));
  CHECK_FALSE(refused(next, ocpp201::ResetRequest{}));
  CHECK(refused(next, ocpp201::RequestStartTransactionRequest{}));
}
