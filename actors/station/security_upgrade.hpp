#pragma once
// Security-profile upgrade as one operation (issue 14 item 4; OCPP 2.0.1 A05, the 1.6 security
// extension's "upgrade charge point security profile"): POST /api/v0/cs/{csId}/security-profile.
// Profiles are in MaEVe's numbering here as everywhere in the API (0 ws + Basic, 1 wss + Basic,
// 2 wss + client certificate); the station is sent OCPP's (one more).
//
// The node runs, one after another, stopping at the first step that fails:
//   csmsRoot      (from profile 0: the station has never checked the node's server certificate)
//                 GetInstalledCertificateIds CSMSRootCertificate (1.6 CentralSystemRootCertificate);
//                 InstallCertificate of the node's CSMS root unless the station has it already
//   certificate   (to profile 2, when the node has delivered no ChargingStationCertificate to it)
//                 TriggerMessage SignChargingStationCertificate (1.6 ExtendedTriggerMessage
//                 SignChargePointCertificate), then waits (WaitingForCertificate) until the station
//                 has accepted the signed certificate (the usual A02 flow, actors/pnc/sign_flow.cpp)
//   2.0.1: networkProfile   SetNetworkProfile {configurationSlot, connectionData: ocppCsmsUrl,
//                           securityProfile, ...}
//          priority         GetVariables then SetVariables OCPPCommCtrlr.NetworkConfigurationPriority:
//                           the new slot first, the others after it as they were
//          reset            Reset OnIdle (or Immediate): the station reconnects with the new profile
//   1.6:   securityProfile  ChangeConfiguration SecurityProfile: the station reconnects by itself
// Before the step that makes the station reconnect, the station's record gets upgradeToProfile:
// the gate (station_gate.cpp) then lets it in with either profile, and its first login with the
// new one makes that its profile (adopt_upgraded_profile): from then on the old one is refused.
// The state and every step's answer are kept in station_runtime <id>\0securityUpgrade
// (SecurityUpgradeRecord) and shown by GET .../security-profile.
//
// The decisions are plain functions (tests/actors/security_upgrade_test.cpp); the run is a
// short-lived actor per upgrade, at most one per station on this node.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/records/generated/record_types.hpp"
#include "pki/x509.hpp"

namespace evbroker::actors {

enum class UpgradeStep { csms_root, certificate, network_profile, priority, reset, security_profile };
std::string_view to_string(UpgradeStep step);

/// What the operator asked for (the API body, checked).
struct SecurityUpgradeRequest {
  int to_profile = 1;
  std::int64_t configuration_slot = 1;  // 2.0.1
  std::string csms_url;                 // 2.0.1: ocppCsmsUrl, wss://...
  std::int64_t message_timeout = 30;    // 2.0.1: seconds
  std::string ocpp_interface = "Wired0";
  std::string reset = "OnIdle";               // 2.0.1: OnIdle | Immediate
  bool install_csms_root = true;              // from profile 0
  std::optional<pki::Certificate> csms_root;  // the root stations must trust; none: the node's own
  std::int64_t certificate_timeout_s = 300;
};

/// The steps an upgrade of a `version` station from `from` to `to` takes; `root_needed` when the
/// station has to be given the node's root, `certificate_needed` when it has no client certificate
/// from the node yet.
std::vector<UpgradeStep> plan_security_upgrade(ocpp::Version version, int from, int to, bool root_needed,
                                               bool certificate_needed);

/// OCPPCommCtrlr.NetworkConfigurationPriority with `slot` first and the other slots of `current`
/// (a comma-separated list, possibly empty or with blanks) after it in their order.
std::string priority_with_slot_first(std::string_view current, std::int64_t slot);

/// Whether a step's answer lets the upgrade go on (Accepted; SetVariables and 1.6 ChangeConfiguration
/// RebootRequired too, 2.0.1 Reset Scheduled too).
bool answer_accepted(const CsmsCallResult& result);

/// Whether the station's answer to GetInstalledCertificateIds lists `root` (by serial number and
/// issuer key hash, compared as hexadecimal).
bool lists_certificate(const CsmsCallResult& result, const pki::Certificate& root);

/// The states that are over (Completed, Failed, Cancelled) and those still under way.
bool upgrade_finished(std::string_view state);

/// Starts the run (the caller checked the request against the station: a new profile above its
/// own, connected, no other upgrade under way); `stored` gets its first record (JSON, as stored)
/// once committed, after which its calls go out. False when another run for the station is under
/// way on this node.
bool start_security_upgrade(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station_id,
                            const StationActor& station, ocpp::Version version, int from_profile,
                            SecurityUpgradeRequest request, std::function<void(const std::string& record)> stored);

/// Node shutdown: ends every run at once (its record says Interrupted after the restart).
void stop_security_upgrades();

/// Whether a run for the station is under way on this node (it may be waiting for a certificate).
bool security_upgrade_running(const std::string& station_id);

/// Asks a running upgrade to stop before its next step; false when none runs.
bool cancel_running_security_upgrade(const std::string& station_id);

/// The gate saw the station log in with its upgradeToProfile: makes it the station's profile and
/// completes the upgrade record, in one transaction.
void adopt_upgraded_profile(const NodeContextPtr& ctx, const std::string& station_id, int profile);

}  // namespace evbroker::actors
