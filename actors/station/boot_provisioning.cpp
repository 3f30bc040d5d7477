#include "actors/station/boot_provisioning.hpp"

#include <algorithm>
#include <memory>

#include "actors/records/generated/record_types.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/station/csms_call.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors {
namespace {

/// Whether the station can still be reached: after a disconnect the rest is not tried.
bool station_gone(const CsmsCallResult& result) {
  return result.kind == CsmsCallResult::Kind::disconnected || result.kind == CsmsCallResult::Kind::unknown;
}

struct Run {
  NodeContextPtr ctx;
  std::string station_id;
  StationActor station;
  std::vector<CsmsCall> calls;
  std::size_t next = 0;
  std::int64_t started_at_ms = 0;
  std::vector<std::string> steps;
};

void store(const std::shared_ptr<Run>& run, bool finished) {
  std::string steps = "[";
  for (std::size_t i = 0; i < run->steps.size(); ++i) steps += (i ? "," : "") + run->steps[i];
  steps += "]";
  ProvisioningRecord record{.started_at_ms = run->started_at_ms,
                            .finished_at_ms = finished ? run->ctx->clock->now_ms() : 0,
                            .steps = std::move(steps)};
  run->ctx->committer->submit([key = runtime_key(run->station_id, RuntimeField::provisioning), value = to_json(record)](
                                  storage::WriteTxn& txn) { txn.put(storage::Table::station_runtime, key, value); },
                              [ctx = run->ctx, id = run->station_id](const std::string& error) {
                                if (!error.empty())
                                  ctx->station_log->warn("{}: storing its provisioning failed: {}", id, error);
                              });
}

template <class Self>
void send_next(Self* self, const std::shared_ptr<Run>& run) {
  if (run->next >= run->calls.size()) {
    run->ctx->station_log->info("{}: provisioning read {} of {} answers", run->station_id, run->steps.size(),
                                run->calls.size());
    return store(run, true);
  }
  auto call = run->calls[run->next++];
  request_csms_call(self, run->station, call, run->ctx->settings, [self, run, call](CsmsCallResult result) {
    run->steps.push_back(provisioning_step(call, result));
    const bool gone = station_gone(result);
    store(run, gone);
    if (!gone) send_next(self, run);
  });
}

}  // namespace

std::vector<CsmsCall> provisioning_calls(ocpp::Version version, std::int64_t request_id) {
  std::vector<CsmsCall> calls;
  if (version == ocpp::Version::v16) {
    calls.push_back(CsmsCall::of(ocpp16::GetConfigurationRequest{}));
    for (auto type : {ocpp16::CertificateUseEnumType::CentralSystemRootCertificate,
                      ocpp16::CertificateUseEnumType::ManufacturerRootCertificate}) {
      ocpp16::GetInstalledCertificateIdsRequest installed;
      installed.certificateType = type;
      calls.push_back(CsmsCall::of(installed));
    }
    calls.push_back(CsmsCall::of(ocpp16::GetLocalListVersionRequest{}));
    return calls;
  }
  ocpp201::GetBaseReportRequest report;
  report.requestId = request_id;
  report.reportBase = ocpp201::ReportBaseEnumType::FullInventory;
  calls.push_back(CsmsCall::of(report));
  calls.push_back(CsmsCall::of(ocpp201::GetInstalledCertificateIdsRequest{}));
  calls.push_back(CsmsCall::of(ocpp201::GetLocalListVersionRequest{}));
  return calls;
}

std::string provisioning_step(const CsmsCall& call, const CsmsCallResult& result) {
  std::string out;
  ocpp::JsonWriter w(out);
  auto member = [&](std::string_view name) {
    w.raw(out.empty() ? '{' : ',');
    w.string(name);
    w.raw(':');
  };
  member("action");
  w.string(call.action.name());
  if (call.action.name() == "GetInstalledCertificateIds" && call.request.v16) {
    member("request");  // 1.6 asks per certificate type: which one this was
    w.raw(ocpp::encode_request(call.request));
  }
  member("outcome");
  w.string(csms_call_outcome_name(result.kind));
  if (result.kind == CsmsCallResult::Kind::result) {
    member("answer");
    w.raw(result.payload);
  } else {
    member("error");
    w.string(result.error_code.empty() ? result.error_description
                                       : result.error_code + ": " + result.error_description);
  }
  w.raw('}');
  return out;
}

void start_boot_provisioning(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station_id,
                             const StationActor& station, ocpp::Version version) {
  auto run = std::make_shared<Run>();
  run->ctx = ctx;
  run->station_id = station_id;
  run->station = station;
  run->started_at_ms = ctx->clock->now_ms();
  // The report's request id: unique enough per station (the station echoes it in NotifyReport).
  run->calls = provisioning_calls(version, run->started_at_ms % 1'000'000'000);
  store(run, false);
  // Everything goes in as spawn arguments (CAF 0.17 and argument-less function actors: csms_call.cpp).
  system.spawn([](caf::event_based_actor* self, std::shared_ptr<Run> state) { send_next(self, state); }, run);
}

bool provisioned_by_group(const std::vector<std::string>& groups, const std::vector<std::string>& station_groups) {
  return std::any_of(groups.begin(), groups.end(), [&](const std::string& g) {
    return g == "*" || std::find(station_groups.begin(), station_groups.end(), g) != station_groups.end();
  });
}

}  // namespace evbroker::actors
