#pragma once
// Registration status (OCPP 2.0.1 B01-B03, 1.6 section 4.2): what the operator decided for a station
// (Accepted, Pending, Rejected; in its record) and what a connection of it may do in the node's
// view, which is what its BootNotifications were answered.
//
// - Accepted: everything.
// - Pending: the station may send BootNotification and what the CSMS asked for (the message a
//   TriggerMessage requested, NotifyReport after GetBaseReport/GetReport: B02.FR.09); anything else
//   gets CALLERROR SecurityError. The CSMS may prepare it (settings, reports, certificates) but not
//   start or stop transactions (B02.FR.03; 1.6 RemoteStart/RemoteStopTransaction).
// - Rejected: the station may send BootNotification only (B03.FR.07); once told so, the CSMS sends
//   it nothing but TriggerMessage BootNotification, which brings it in once the operator accepts it.
// - A station told Accepted whose registration is revoked (Pending, Rejected) is refused at once as
//   above; it hears its new status at its next boot, which a Reset brings about.
// - A connection whose station was never answered a boot is treated as Pending without requests:
//   what it sends before booting is refused, not stored as if it had booted.
//
// Plain logic (no CAF): the station actor keeps one RegistrationGate per connection
// (tests/actors/registration_test.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/records/registration_status.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

class RegistrationGate {
 public:
  /// The gate of a new connection. `decided`: the station's registration now; `told`: the status
  /// its last BootNotification got (nullopt: it never booted). A station accepted since it was last
  /// told Pending or Rejected still has to boot to hear it (needs_boot_trigger()).
  static RegistrationGate at_connect(Registration decided, std::optional<Registration> told);

  /// Why a station CALL of `action` is refused (answer CALLERROR SecurityError), or nullopt.
  std::optional<std::string> refuse_incoming(std::string_view action) const;
  /// Why the CSMS may not send this call now (the API answers 409), or nullopt.
  std::optional<std::string> refuse_outgoing(const ocpp::ActionRef& action, const ocpp::DecodedRequest& request) const;
  /// A call went out: a TriggerMessage, GetBaseReport or GetReport allows what it asks the station to send.
  void sent(const ocpp::DecodedRequest& request);
  /// The station's BootNotification was answered `status`.
  void answered_boot(Registration status);
  /// The operator changed the station's registration while this connection is open.
  void decide(Registration status) { decided_ = status; }

  /// What the station may do now: what it was told while the operator lets it in, else the
  /// operator's decision (nullopt: it was never told anything and may still be let in).
  std::optional<Registration> effective() const {
    return decided_ == Registration::accepted ? told_ : std::optional<Registration>(decided_);
  }
  bool accepted() const { return effective() == Registration::accepted; }
  /// The station was told Accepted but is not any more: only a new connection and boot tell it
  /// (an accepted station refuses TriggerMessage BootNotification, F06.FR.17).
  bool accepted_session_revoked() const {
    return told_ == Registration::accepted && decided_ != Registration::accepted;
  }
  /// The node should send TriggerMessage BootNotification: the station was told Pending or Rejected
  /// and the operator has decided otherwise since.
  bool needs_boot_trigger() const { return told_ && *told_ != Registration::accepted && *told_ != decided_; }

 private:
  Registration decided_ = Registration::accepted;
  std::optional<Registration> told_;
  /// Pending: the actions the CSMS asked the station to send (triggers, reports) since its last boot.
  std::vector<std::string> requested_;
};

}  // namespace evbroker::actors
