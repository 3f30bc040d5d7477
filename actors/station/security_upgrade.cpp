#include "actors/station/security_upgrade.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/records/certificate_records.hpp"
#include "actors/records/records.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/station/csms_call.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors {
namespace {

constexpr std::string_view kStationCertificate = "ChargingStationCertificate";
constexpr std::chrono::seconds kCertificatePoll{1};

struct Run {
  NodeContextPtr ctx;
  std::string id;
  StationActor station;
  ocpp::Version version = ocpp::Version::v201;
  SecurityUpgradeRequest request;
  std::optional<pki::Certificate> root;  // csmsRoot: the certificate to install
  std::vector<UpgradeStep> steps;
  std::size_t next = 0;
  SecurityUpgradeRecord record;
  std::vector<std::string> step_json;
  std::int64_t certificate_deadline_ms = 0;
  std::atomic<bool> cancelled{false};
  caf::actor runner;                       // under the registry's mutex
  std::function<void(bool)> after_commit;  // set_upgrade_target's continuation (the actor's own)
};

/// The runs under way on this process, by station: one at a time per station.
struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<Run>> runs;
};
Registry& registry() {
  static Registry instance;
  return instance;
}

void forget(const std::string& id) {
  std::lock_guard lock(registry().mutex);
  registry().runs.erase(id);
}

// ---- the record -------------------------------------------------------------------------------

/// One entry of the record's steps: {"step", "action"?, "outcome"?, "answer"?, "detail"?, "at"}.
std::string step_entry(std::string_view step, const CsmsCall* call, const CsmsCallResult* result, std::string detail,
                       std::int64_t at_ms) {
  std::string out;
  ocpp::JsonWriter w(out);
  w.raw("{\"step\":");
  w.string(step);
  if (call) {
    w.raw(",\"action\":");
    w.string(call->action.name());
  }
  if (result) {
    w.raw(",\"outcome\":");
    w.string(csms_call_outcome_name(result->kind));
    if (result->kind == CsmsCallResult::Kind::result) {
      w.raw(",\"answer\":");
      w.raw(result->payload);
    } else if (detail.empty()) {
      detail = result->error_code.empty() ? result->error_description
                                          : result->error_code + ": " + result->error_description;
    }
  }
  if (!detail.empty()) {
    w.raw(",\"detail\":");
    w.string(detail);
  }
  w.raw(",\"at\":");
  w.date_time(ocpp::DateTime::from_unix_ms(at_ms));
  w.raw('}');
  return out;
}

void add_step(Run& run, UpgradeStep step, const CsmsCall* call, const CsmsCallResult* result, std::string detail) {
  run.step_json.push_back(step_entry(to_string(step), call, result, std::move(detail), run.ctx->clock->now_ms()));
}

/// Stores the record; `stored` gets it as written once committed.
void store(Run& run, std::function<void(const std::string& record)> stored = {}) {
  std::string steps = "[";
  for (std::size_t i = 0; i < run.step_json.size(); ++i) steps += (i ? "," : "") + run.step_json[i];
  run.record.steps = steps + "]";
  run.record.updated_at_ms = run.ctx->clock->now_ms();
  auto value = to_json(run.record);
  run.ctx->committer->submit([key = runtime_key(run.id, RuntimeField::security_upgrade),
                              value](storage::WriteTxn& txn) { txn.put(storage::Table::station_runtime, key, value); },
                             [ctx = run.ctx, id = run.id, value, stored = std::move(stored)](const std::string& error) {
                               if (!error.empty())
                                 ctx->station_log->warn("{}: storing its security-profile upgrade failed: {}", id,
                                                        error);
                               if (stored) stored(value);
                             });
}

/// Sets (profile >= 0) or clears (-1) the profile the gate lets the station log in with besides its
/// own; `done` runs in the run's actor after the commit, told whether it was stored.
void set_upgrade_target(caf::event_based_actor* self, const std::shared_ptr<Run>& run, int profile,
                        std::function<void(bool)> done) {
  run->after_commit = std::move(done);
  auto changed = std::make_shared<std::optional<std::string>>();
  run->ctx->committer->submit(
      [id = run->id, profile, changed](storage::WriteTxn& txn) {
        auto stored = txn.get(storage::Table::stations, id);
        auto station = stored ? parse_station_record(*stored) : std::nullopt;
        if (!station || station->upgrade_to_profile == profile) return;
        station->upgrade_to_profile = profile;
        *changed = to_json(*station);
        txn.put(storage::Table::stations, id, **changed);
      },
      // The completion runs on the writer's thread: the rest goes back to the actor.
      [ctx = run->ctx, id = run->id, changed, me = caf::actor_cast<caf::actor>(self)](const std::string& error) {
        if (error.empty() && *changed && ctx->station_changed) ctx->station_changed(id, **changed);
        caf::anon_send(me, release_atom::value, error.empty());
      });
}

void finish(caf::event_based_actor* self, const std::shared_ptr<Run>& run, std::string state, std::string detail) {
  run->record.state = std::move(state);
  run->record.detail = std::move(detail);
  if (upgrade_finished(run->record.state)) run->record.finished_at_ms = run->ctx->clock->now_ms();
  run->ctx->station_log->info("{}: security-profile upgrade to {}: {}{}", run->id, run->record.to_profile,
                              run->record.state, run->record.detail.empty() ? "" : " (" + run->record.detail + ")");
  auto complete = [self, run] {
    store(*run);
    forget(run->id);
    self->quit();
  };
  if (run->record.state == "WaitingForReconnect") return complete();
  // Over without the station moving: the gate stops offering the new profile.
  set_upgrade_target(self, run, -1, [complete](bool) { complete(); });
}

void fail(caf::event_based_actor* self, const std::shared_ptr<Run>& run, std::string detail) {
  finish(self, run, "Failed", std::move(detail));
}

/// Whether the station may have acted on a call whose answer did not come.
bool maybe_acted(const CsmsCallResult& result) {
  return result.kind == CsmsCallResult::Kind::timeout || result.kind == CsmsCallResult::Kind::unknown ||
         (result.kind == CsmsCallResult::Kind::disconnected && result.sent);
}

std::string refused_detail(const CsmsCall& call, const CsmsCallResult& result) {
  if (result.kind == CsmsCallResult::Kind::result)
    return "the station did not accept " + std::string(call.action.name());
  return std::string(call.action.name()) + ": " + std::string(csms_call_outcome_name(result.kind));
}

// ---- the calls of each step -------------------------------------------------------------------

CsmsCall installed_roots_call(ocpp::Version version) {
  if (version == ocpp::Version::v16) {
    ocpp16::GetInstalledCertificateIdsRequest request;
    request.certificateType = ocpp16::CertificateUseEnumType::CentralSystemRootCertificate;
    return CsmsCall::of(request);
  }
  ocpp201::GetInstalledCertificateIdsRequest request;
  request.certificateType = std::vector{ocpp201::GetCertificateIdUseEnumType::CSMSRootCertificate};
  return CsmsCall::of(request);
}

CsmsCall install_root_call(ocpp::Version version, const pki::Certificate& root) {
  if (version == ocpp::Version::v16) {
    ocpp16::InstallCertificateRequest request;
    request.certificateType = ocpp16::CertificateUseEnumType::CentralSystemRootCertificate;
    request.certificate = root.pem();
    return CsmsCall::of(request);
  }
  ocpp201::InstallCertificateRequest request;
  request.certificateType = ocpp201::InstallCertificateUseEnumType::CSMSRootCertificate;
  request.certificate = root.pem();
  return CsmsCall::of(request);
}

CsmsCall certificate_trigger_call(ocpp::Version version) {
  if (version == ocpp::Version::v16) {
    ocpp16::ExtendedTriggerMessageRequest request;
    request.requestedMessage = ocpp16::MessageTriggerEnumType::SignChargePointCertificate;
    return CsmsCall::of(request);
  }
  ocpp201::TriggerMessageRequest request;
  request.requestedMessage = ocpp201::MessageTriggerEnumType::SignChargingStationCertificate;
  return CsmsCall::of(request);
}

CsmsCall network_profile_call(const SecurityUpgradeRequest& r) {
  ocpp201::SetNetworkProfileRequest request;
  request.configurationSlot = r.configuration_slot;
  request.connectionData.ocppVersion = ocpp201::OCPPVersionEnumType::OCPP20;
  request.connectionData.ocppTransport = ocpp201::OCPPTransportEnumType::JSON;
  request.connectionData.ocppCsmsUrl = r.csms_url;
  request.connectionData.messageTimeout = r.message_timeout;
  request.connectionData.securityProfile = r.to_profile + 1;  // OCPP's numbering
  ocpp201::parse_enum(r.ocpp_interface, request.connectionData.ocppInterface);
  return CsmsCall::of(request);
}

ocpp201::ComponentType comm_ctrlr() {
  ocpp201::ComponentType component;
  component.name = "OCPPCommCtrlr";
  return component;
}

ocpp201::VariableType priority_variable() {
  ocpp201::VariableType variable;
  variable.name = "NetworkConfigurationPriority";
  return variable;
}

CsmsCall read_priority_call() {
  ocpp201::GetVariableDataType data;
  data.component = comm_ctrlr();
  data.variable = priority_variable();
  ocpp201::GetVariablesRequest request;
  request.getVariableData.push_back(std::move(data));
  return CsmsCall::of(request);
}

std::string priority_read(const CsmsCallResult& result) {
  if (const auto* answer = result.response.as<ocpp201::GetVariablesResponse>())
    for (const auto& item : answer->getVariableResult)
      if (item.attributeStatus == ocpp201::GetVariableStatusEnumType::Accepted && item.attributeValue)
        return *item.attributeValue;
  return "";
}

CsmsCall write_priority_call(std::string value) {
  ocpp201::SetVariableDataType data;
  data.component = comm_ctrlr();
  data.variable = priority_variable();
  data.attributeValue = std::move(value);
  ocpp201::SetVariablesRequest request;
  request.setVariableData.push_back(std::move(data));
  return CsmsCall::of(request);
}

CsmsCall reset_call(ocpp::Version version, const SecurityUpgradeRequest& r) {
  if (version == ocpp::Version::v16) return CsmsCall::of(ocpp16::ResetRequest{ocpp16::ResetType::Soft});
  ocpp201::ResetRequest request;
  request.type = r.reset == "Immediate" ? ocpp201::ResetEnumType::Immediate : ocpp201::ResetEnumType::OnIdle;
  return CsmsCall::of(request);
}

CsmsCall security_profile_call(int to_profile) {
  ocpp16::ChangeConfigurationRequest request;
  request.key = "SecurityProfile";
  request.value = std::to_string(to_profile + 1);
  return CsmsCall::of(request);
}

// ---- the run ----------------------------------------------------------------------------------

void run_next(caf::event_based_actor* self, const std::shared_ptr<Run>& run);

/// Sends `call` for `step`; `then` gets the result once it is recorded.
void send(caf::event_based_actor* self, const std::shared_ptr<Run>& run, UpgradeStep step, CsmsCall call,
          std::function<void(const CsmsCallResult&)> then, std::string detail = "") {
  request_csms_call(self, run->station, call, run->ctx->settings,
                    [self, run, step, call, then = std::move(then), detail](CsmsCallResult result) {
                      add_step(*run, step, &call, &result, detail);
                      store(*run);
                      then(result);
                    });
}

/// Sends a step's only call: accepted goes on, anything else fails the upgrade.
void send_or_fail(caf::event_based_actor* self, const std::shared_ptr<Run>& run, UpgradeStep step, CsmsCall call) {
  send(self, run, step, call, [self, run, call](const CsmsCallResult& result) {
    if (!answer_accepted(result)) return fail(self, run, refused_detail(call, result));
    run_next(self, run);
  });
}

/// The step after which the station reconnects with the new profile: the gate must let it in
/// before it goes out. No answer may still mean it acted: then the upgrade waits as well.
void send_reconnecting(caf::event_based_actor* self, const std::shared_ptr<Run>& run, UpgradeStep step, CsmsCall call) {
  set_upgrade_target(self, run, run->record.to_profile, [self, run, step, call](bool stored) {
    if (!stored) return fail(self, run, "could not store the profile the station may log in with");
    send(self, run, step, call, [self, run, call](const CsmsCallResult& result) {
      if (answer_accepted(result)) {
        const bool reboot = result.response.as<ocpp16::ChangeConfigurationResponse>() &&
                            result.response.as<ocpp16::ChangeConfigurationResponse>()->status ==
                                ocpp16::ConfigurationStatus::RebootRequired;
        if (reboot) {  // 1.6: the station takes the profile at its next boot, which the node asks for
          run->steps.push_back(UpgradeStep::reset);
          return run_next(self, run);
        }
        return finish(self, run, "WaitingForReconnect", "");
      }
      if (maybe_acted(result))
        return finish(self, run, "WaitingForReconnect",
                      "no answer to " + std::string(call.action.name()) +
                          ": waiting for the station to log in with the new profile");
      fail(self, run, refused_detail(call, result));
    });
  });
}

void check_root(caf::event_based_actor* self, const std::shared_ptr<Run>& run) {
  send(self, run, UpgradeStep::csms_root, installed_roots_call(run->version), [self, run](const CsmsCallResult& r) {
    if (r.kind != CsmsCallResult::Kind::result)
      return fail(self, run, "GetInstalledCertificateIds: " + std::string(csms_call_outcome_name(r.kind)));
    if (lists_certificate(r, *run->root)) {
      add_step(*run, UpgradeStep::csms_root, nullptr, nullptr, "the station has the node's CSMS root");
      return run_next(self, run);
    }
    send_or_fail(self, run, UpgradeStep::csms_root, install_root_call(run->version, *run->root));
  });
}

/// WaitingForCertificate: polls the signing record until the station accepted a certificate
/// signed after the upgrade began, the signing failed, or the time is up.
void await_certificate(caf::event_based_actor* self, const std::shared_ptr<Run>& run) {
  if (run->cancelled) return finish(self, run, "Cancelled", "cancelled by the operator");
  auto stored = run->ctx->store->read().get(storage::Table::certificates, sign_key(run->id, kStationCertificate));
  auto sign = stored ? parse_sign_request(*stored) : std::nullopt;
  if (sign && sign->requested_at_ms >= run->record.started_at_ms) {
    if (sign->state == "Delivered") {
      add_step(*run, UpgradeStep::certificate, nullptr, nullptr, "the station accepted its signed certificate");
      run->record.state = "Running";
      store(*run);
      return run_next(self, run);
    }
    if (sign->state == "Failed") return fail(self, run, "signing its certificate failed: " + sign->last_error);
  }
  if (run->ctx->clock->now_ms() >= run->certificate_deadline_ms)
    return fail(self, run,
                "no certificate signed and accepted within " + std::to_string(run->request.certificate_timeout_s) +
                    " s (the station sends SignCertificate, then takes CertificateSigned)");
  self->delayed_send(self, kCertificatePoll, retry_atom::value);
}

void request_certificate(caf::event_based_actor* self, const std::shared_ptr<Run>& run) {
  const auto call = certificate_trigger_call(run->version);
  send(self, run, UpgradeStep::certificate, call, [self, run, call](const CsmsCallResult& result) {
    if (!answer_accepted(result)) return fail(self, run, refused_detail(call, result));
    run->record.state = "WaitingForCertificate";
    run->certificate_deadline_ms = run->ctx->clock->now_ms() + run->request.certificate_timeout_s * 1000;
    store(*run);
    await_certificate(self, run);
  });
}

void set_priority(caf::event_based_actor* self, const std::shared_ptr<Run>& run) {
  send(self, run, UpgradeStep::priority, read_priority_call(), [self, run](const CsmsCallResult& read) {
    // Not readable: the new slot alone, which the station validates (A05.FR.04).
    const auto value = priority_with_slot_first(priority_read(read), run->request.configuration_slot);
    send_or_fail(self, run, UpgradeStep::priority, write_priority_call(value));
  });
}

void run_next(caf::event_based_actor* self, const std::shared_ptr<Run>& run) {
  if (run->cancelled) return finish(self, run, "Cancelled", "cancelled by the operator");
  if (run->next >= run->steps.size()) return finish(self, run, "WaitingForReconnect", "");
  switch (run->steps[run->next++]) {
    case UpgradeStep::csms_root: return check_root(self, run);
    case UpgradeStep::certificate: return request_certificate(self, run);
    case UpgradeStep::network_profile:
      return send_or_fail(self, run, UpgradeStep::network_profile, network_profile_call(run->request));
    case UpgradeStep::priority: return set_priority(self, run);
    case UpgradeStep::reset:
      return send_reconnecting(self, run, UpgradeStep::reset, reset_call(run->version, run->request));
    case UpgradeStep::security_profile:
      return send_reconnecting(self, run, UpgradeStep::security_profile, security_profile_call(run->record.to_profile));
  }
}

caf::behavior upgrade_runner(caf::event_based_actor* self, std::shared_ptr<Run> run) {
  run_next(self, run);
  return {
      [self, run](retry_atom) { await_certificate(self, run); },
      [run](release_atom, bool stored) {
        auto next = std::move(run->after_commit);
        run->after_commit = nullptr;
        if (next) next(stored);
      },
  };
}

}  // namespace

std::string_view to_string(UpgradeStep step) {
  switch (step) {
    case UpgradeStep::csms_root: return "csmsRoot";
    case UpgradeStep::certificate: return "certificate";
    case UpgradeStep::network_profile: return "networkProfile";
    case UpgradeStep::priority: return "priority";
    case UpgradeStep::reset: return "reset";
    case UpgradeStep::security_profile: return "securityProfile";
  }
  return "?";
}

std::vector<UpgradeStep> plan_security_upgrade(ocpp::Version version, int from, int to, bool root_needed,
                                               bool certificate_needed) {
  std::vector<UpgradeStep> steps;
  if (from == 0 && root_needed) steps.push_back(UpgradeStep::csms_root);
  if (to == 2 && certificate_needed) steps.push_back(UpgradeStep::certificate);
  if (version == ocpp::Version::v16) {
    steps.push_back(UpgradeStep::security_profile);
  } else {
    steps.insert(steps.end(), {UpgradeStep::network_profile, UpgradeStep::priority, UpgradeStep::reset});
  }
  return steps;
}

std::string priority_with_slot_first(std::string_view current, std::int64_t slot) {
  const std::string first = std::to_string(slot);
  std::string out = first;
  while (!current.empty()) {
    const auto comma = current.find(',');
    auto item = current.substr(0, comma);
    current = comma == std::string_view::npos ? std::string_view{} : current.substr(comma + 1);
    const auto begin = item.find_first_not_of(" \t");
    if (begin == std::string_view::npos) continue;
    item = item.substr(begin, item.find_last_not_of(" \t") - begin + 1);
    if (item != first) out += "," + std::string(item);
  }
  return out;
}

bool answer_accepted(const CsmsCallResult& result) {
  if (result.kind != CsmsCallResult::Kind::result) return false;
  const auto& r = result.response;
  if (const auto* m = r.as<ocpp201::InstallCertificateResponse>())
    return m->status == ocpp201::InstallCertificateStatusEnumType::Accepted;
  if (const auto* m = r.as<ocpp16::InstallCertificateResponse>())
    return m->status == ocpp16::InstallCertificateStatusEnumType::Accepted;
  if (const auto* m = r.as<ocpp201::TriggerMessageResponse>())
    return m->status == ocpp201::TriggerMessageStatusEnumType::Accepted;
  if (const auto* m = r.as<ocpp16::ExtendedTriggerMessageResponse>())
    return m->status == ocpp16::TriggerMessageStatusEnumType::Accepted;
  if (const auto* m = r.as<ocpp201::SetNetworkProfileResponse>())
    return m->status == ocpp201::SetNetworkProfileStatusEnumType::Accepted;
  if (const auto* m = r.as<ocpp201::SetVariablesResponse>())
    return !m->setVariableResult.empty() &&
           std::all_of(m->setVariableResult.begin(), m->setVariableResult.end(), [](const auto& item) {
             return item.attributeStatus == ocpp201::SetVariableStatusEnumType::Accepted ||
                    item.attributeStatus == ocpp201::SetVariableStatusEnumType::RebootRequired;
           });
  if (const auto* m = r.as<ocpp201::ResetResponse>())
    return m->status == ocpp201::ResetStatusEnumType::Accepted || m->status == ocpp201::ResetStatusEnumType::Scheduled;
  if (const auto* m = r.as<ocpp16::ResetResponse>()) return m->status == ocpp16::ResetStatus::Accepted;
  if (const auto* m = r.as<ocpp16::ChangeConfigurationResponse>())
    return m->status == ocpp16::ConfigurationStatus::Accepted ||
           m->status == ocpp16::ConfigurationStatus::RebootRequired;
  return false;
}

bool lists_certificate(const CsmsCallResult& result, const pki::Certificate& root) {
  auto matches = [&](std::string_view algorithm, const std::string& name_hash, const std::string& key_hash,
                     const std::string& serial) {
    const auto mine = root.hash_data(root, algorithm);
    return mine.same_as(pki::CertificateHashData{std::string(algorithm), name_hash, key_hash, serial});
  };
  if (const auto* v201 = result.response.as<ocpp201::GetInstalledCertificateIdsResponse>()) {
    for (const auto& chain :
         v201->certificateHashDataChain.value_or(std::vector<ocpp201::CertificateHashDataChainType>{})) {
      const auto& h = chain.certificateHashData;
      if (matches(ocpp201::to_string(h.hashAlgorithm), h.issuerNameHash, h.issuerKeyHash, h.serialNumber)) return true;
    }
  }
  if (const auto* v16 = result.response.as<ocpp16::GetInstalledCertificateIdsResponse>()) {
    for (const auto& h : v16->certificateHashData.value_or(std::vector<ocpp16::CertificateHashDataType>{}))
      if (matches(ocpp16::to_string(h.hashAlgorithm), h.issuerNameHash, h.issuerKeyHash, h.serialNumber)) return true;
  }
  return false;
}

bool upgrade_finished(std::string_view state) {
  return state == "Completed" || state == "Failed" || state == "Cancelled";
}

bool start_security_upgrade(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station_id,
                            const StationActor& station, ocpp::Version version, int from_profile,
                            SecurityUpgradeRequest request, std::function<void(const std::string&)> stored) {
  auto run = std::make_shared<Run>();
  {
    std::lock_guard lock(registry().mutex);
    if (registry().runs.count(station_id)) return false;
    registry().runs[station_id] = run;
  }
  run->ctx = ctx;
  run->id = station_id;
  run->station = station;
  run->version = version;
  run->request = std::move(request);
  const auto& r = run->request;
  if (from_profile == 0 && r.install_csms_root) run->root = r.csms_root ? r.csms_root : ctx->station_csms_root;
  bool certificate_needed = true;
  if (r.to_profile == 2) {
    auto stored_sign = ctx->store->read().get(storage::Table::certificates, sign_key(station_id, kStationCertificate));
    auto sign = stored_sign ? parse_sign_request(*stored_sign) : std::nullopt;
    certificate_needed = !sign || sign->state != "Delivered";
  }
  run->steps = plan_security_upgrade(version, from_profile, r.to_profile, run->root.has_value(), certificate_needed);
  const auto now = ctx->clock->now_ms();
  run->record.from_profile = from_profile;
  run->record.to_profile = r.to_profile;
  run->record.state = "Running";
  if (version == ocpp::Version::v201) run->record.configuration_slot = static_cast<int>(r.configuration_slot);
  run->record.started_at_ms = now;
  if (r.to_profile == 2 && !certificate_needed)
    add_step(*run, UpgradeStep::certificate, nullptr, nullptr,
             "the station holds a certificate the node signed (delivered before)");
  if (from_profile == 0 && !run->root)
    add_step(*run, UpgradeStep::csms_root, nullptr, nullptr,
             r.install_csms_root ? "skipped: the node serves a certificate of --tls-cert; give csmsRootCertificate "
                                   "to install its root"
                                 : "skipped: installCsmsRoot is false");
  ctx->station_log->info("{}: security-profile upgrade from {} to {} begins", station_id, from_profile, r.to_profile);
  // The first record is committed before the caller hears of it (and before the first call goes out).
  store(*run, [&system, run, stored = std::move(stored)](const std::string& record) {
    {
      std::lock_guard lock(registry().mutex);
      auto found = registry().runs.find(run->id);
      // Not there any more: the node is shutting down.
      // Everything goes in as spawn arguments (CAF 0.17 and argument-less function actors: csms_call.cpp).
      if (found != registry().runs.end() && found->second == run)
        run->runner = caf::actor_cast<caf::actor>(system.spawn(upgrade_runner, run));
    }
    if (stored) stored(record);
  });
  return true;
}

void stop_security_upgrades() {
  std::lock_guard lock(registry().mutex);
  for (auto& [id, run] : registry().runs) {
    run->cancelled = true;
    if (run->runner) caf::anon_send_exit(run->runner, caf::exit_reason::user_shutdown);
  }
  registry().runs.clear();
}

bool security_upgrade_running(const std::string& station_id) {
  std::lock_guard lock(registry().mutex);
  return registry().runs.count(station_id) > 0;
}

bool cancel_running_security_upgrade(const std::string& station_id) {
  std::lock_guard lock(registry().mutex);
  auto found = registry().runs.find(station_id);
  if (found == registry().runs.end()) return false;
  found->second->cancelled = true;
  return true;
}

void adopt_upgraded_profile(const NodeContextPtr& ctx, const std::string& station_id, int profile) {
  auto changed = std::make_shared<std::optional<std::string>>();
  const auto now = ctx->clock->now_ms();
  ctx->committer->submit(
      [station_id, profile, changed, now](storage::WriteTxn& txn) {
        // Decided again on what is stored now: a cancellation or a new registration meanwhile wins.
        auto stored = txn.get(storage::Table::stations, station_id);
        auto station = stored ? parse_station_record(*stored) : std::nullopt;
        if (!station || station->upgrade_to_profile != profile) return;
        station->security_profile = profile;
        station->upgrade_to_profile = -1;
        *changed = to_json(*station);
        txn.put(storage::Table::stations, station_id, **changed);
        const auto key = runtime_key(station_id, RuntimeField::security_upgrade);
        auto stored_upgrade = txn.get(storage::Table::station_runtime, key);
        auto upgrade = stored_upgrade ? parse_security_upgrade_record(*stored_upgrade) : std::nullopt;
        if (!upgrade || upgrade->to_profile != profile || upgrade_finished(upgrade->state)) return;
        upgrade->state = "Completed";
        upgrade->detail.clear();
        upgrade->updated_at_ms = upgrade->finished_at_ms = now;
        const auto step = step_entry(
            "reconnect", nullptr, nullptr,
            "logged in with security profile " + std::to_string(profile) + "; the old one is refused from now on", now);
        auto steps = upgrade->steps.empty() ? std::string("[]") : upgrade->steps;
        steps.insert(steps.size() - 1, (steps.size() > 2 ? "," : "") + step);
        upgrade->steps = std::move(steps);
        txn.put(storage::Table::station_runtime, key, to_json(*upgrade));
      },
      [ctx, station_id, profile, changed](const std::string& error) {
        if (!error.empty())
          return ctx->station_log->warn("{}: storing its new security profile failed: {}", station_id, error);
        if (!*changed) return;
        ctx->station_log->info("{}: logged in with security profile {}: it is the station's profile now", station_id,
                               profile);
        if (ctx->station_changed) ctx->station_changed(station_id, **changed);
      });
}

}  // namespace evbroker::actors
