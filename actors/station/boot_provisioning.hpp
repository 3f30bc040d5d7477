#pragma once
// Boot-time provisioning (issue 14 item 2): what the node reads of a station by itself at its first
// boot (when its registration asks for it, bootProvisioning, or one of its groups is in
// --boot-provisioning-groups, "*" for every station) or when the
// operator asks (POST /api/v0/cs/{csId}/provisioning): the full device model (2.0.1 GetBaseReport
// FullInventory, whose NotifyReports fill the device model; 1.6 GetConfiguration of every key), the
// certificates it has installed (GetInstalledCertificateIds) and its local list version
// (GetLocalListVersion). The settings waiting for it go out after every boot anyway (settings.hpp).
// Each answer is kept in station_runtime <id>\0provisioning (a ProvisioningRecord) and shown in the
// station's API view.
//
// The calls go one after another behind any other call to the station; a call the station fails
// is recorded and the next one still goes (one missing feature must not hide the others).

#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"

namespace evbroker::actors {

/// Whether a station of `station_groups` is read at its first boot by the node's setting `groups`
/// (--boot-provisioning-groups; "*": every station).
bool provisioned_by_group(const std::vector<std::string>& groups, const std::vector<std::string>& station_groups);

/// The calls that read a station of `version`, in order. `request_id` names the 2.0.1 report.
std::vector<CsmsCall> provisioning_calls(ocpp::Version version, std::int64_t request_id);

/// One step of the record: {"action", "outcome", "answer"?: as the station sent it, "error"?}.
std::string provisioning_step(const CsmsCall& call, const CsmsCallResult& result);

/// Runs the calls against `station` from a short-lived actor, storing the record when it starts and
/// after every answer.
void start_boot_provisioning(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station_id,
                             const StationActor& station, ocpp::Version version);

}  // namespace evbroker::actors
