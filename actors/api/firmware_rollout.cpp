#include "actors/api/firmware_rollout.hpp"

#include <caf/all.hpp>
#include <simdjson.h>

#include "actors/api/api_maeve.hpp"
#include "actors/core/station_directory.hpp"
#include "actors/records/json_read.hpp"
#include "actors/records/records.hpp"
#include "actors/records/runtime_keys.hpp"
#include "actors/station/csms_call.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors {
namespace {

using api::maeve::Object;

constexpr auto kTick = std::chrono::seconds(1);
constexpr std::size_t kKept = 100;  // rollouts remembered

std::string time_text(std::int64_t ms) { return ocpp::DateTime::from_unix_ms(ms).to_string(); }

CsmsCall update_call(ocpp::Version version, const Rollout& rollout, std::int64_t request_id, std::int64_t now_ms) {
  if (version == ocpp::Version::v16) {
    ocpp16::UpdateFirmwareRequest request;
    request.location = rollout.location;
    request.retrieveDate = ocpp::DateTime::from_unix_ms(now_ms);
    return CsmsCall::of(std::move(request));
  }
  ocpp201::UpdateFirmwareRequest request;
  request.requestId = request_id;
  request.firmware.location = rollout.location;
  request.firmware.retrieveDateTime = ocpp::DateTime::from_unix_ms(now_ms);
  return CsmsCall::of(std::move(request));
}

/// Why the station's answer to UpdateFirmware means it will not update; nullopt when it will.
std::optional<std::string> refused(const CsmsCallResult& result) {
  if (result.kind != CsmsCallResult::Kind::result) return "UpdateFirmware not answered: " + result.error_description;
  if (const auto* v201 = result.response.as<ocpp201::UpdateFirmwareResponse>()) {
    const auto status = std::string(ocpp201::to_string(v201->status));
    if (status != "Accepted" && status != "AcceptedCanceled") return "UpdateFirmware " + status;
  }
  return std::nullopt;  // 1.6 answers nothing but {}
}

/// The station's last firmware status if it belongs to what it was sent: for 2.0.1 the same
/// requestId, for 1.6 (no requestId) one that arrived after the request went out.
std::optional<std::string> status_since(const storage::Reader& reader, const RolloutStation& station) {
  auto stored = reader.get(storage::Table::station_runtime, runtime_key(station.id, RuntimeField::firmware));
  if (!stored) return std::nullopt;
  auto report = parse_status_report_record(*stored);
  if (!report || report->timestamp_ms < station.started_ms) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::object payload;
  if (parser.parse(report->payload).get(payload) != simdjson::SUCCESS) return std::nullopt;
  if (auto request_id = json::get_int(payload, "requestId"); request_id && *request_id != station.request_id)
    return std::nullopt;
  return json::get_string(payload, "status");
}

struct RunnerState {
  NodeContextPtr ctx;
  std::shared_ptr<std::mutex> mutex;
  std::shared_ptr<Rollout> rollout;
};

RolloutActor::behavior_type rollout_runner(RolloutActor::stateful_pointer<RunnerState> self, NodeContextPtr ctx,
                                           std::shared_ptr<std::mutex> mutex, std::shared_ptr<Rollout> shared) {
  self->state.ctx = std::move(ctx);
  self->state.mutex = std::move(mutex);
  self->state.rollout = std::move(shared);
  self->send(self, sweep_atom::value);
  return {
      [self](sweep_atom) {
        auto& st = self->state;
        const auto now = st.ctx->clock->now_ms();
        std::lock_guard lock(*st.mutex);
        auto& rollout = *st.rollout;
        // The stations updating: what did they report?
        auto reader = st.ctx->store->read();
        for (std::size_t i = 0; i < rollout.stations.size(); ++i) {
          auto& station = rollout.stations[i];
          if (station.state != RolloutStationState::sent) continue;
          if (auto status = status_since(reader, station)) {
            station.detail = *status;
            const auto progress = firmware_progress(*status);
            if (progress != FirmwareProgress::going) {
              finish_station(rollout, i, progress == FirmwareProgress::installed, *status, now);
              continue;
            }
          }
          if (now - station.started_ms > rollout.station_timeout_ms)
            finish_station(rollout, i, false,
                           "no Installed within " + std::to_string(rollout.station_timeout_ms / 1000) + " s", now);
        }
        // The next ones.
        for (auto index : next_stations(rollout)) {
          auto& station = rollout.stations[index];
          auto entry = st.ctx->directory->find(station.id);
          if (!entry) {
            station.state = RolloutStationState::skipped;
            station.detail = "not connected when its turn came";
            station.finished_ms = now;
            continue;
          }
          station.state = RolloutStationState::sent;
          station.started_ms = now;
          station.request_id = api::maeve::unique_request_id(now);
          auto call = update_call(entry->version, rollout, station.request_id, now);
          // The answer comes on another actor: it takes the lock and nudges this runner by handle.
          spawn_csms_call(self->system(), entry->actor, std::move(call), st.ctx->settings,
                          [runner = caf::actor_cast<RolloutActor>(self), mutex = st.mutex, rollout = st.rollout, index,
                           ctx = st.ctx](CsmsCallResult result) {
                            if (auto why = refused(result)) {
                              std::lock_guard answer_lock(*mutex);
                              finish_station(*rollout, index, false, *why, ctx->clock->now_ms());
                            }
                            caf::anon_send(runner, sweep_atom::value);
                          });
        }
        settle(rollout, now);
        if (rollout.state != RolloutState::running) return self->quit();  // done, stopped or cancelled
        self->delayed_send(self, kTick, sweep_atom::value);
      },
      [self](stop_atom) { self->quit(); },
  };
}

}  // namespace

std::string_view to_string(RolloutStationState state) {
  switch (state) {
    case RolloutStationState::waiting: return "waiting";
    case RolloutStationState::sent: return "updating";
    case RolloutStationState::installed: return "installed";
    case RolloutStationState::failed: return "failed";
    case RolloutStationState::skipped: return "skipped";
  }
  return "waiting";
}

std::string_view to_string(RolloutState state) {
  switch (state) {
    case RolloutState::running: return "running";
    case RolloutState::stopped: return "stopped";
    case RolloutState::cancelled: return "cancelled";
    case RolloutState::done: return "done";
  }
  return "running";
}

std::size_t Rollout::count(RolloutStationState wanted) const {
  std::size_t n = 0;
  for (const auto& station : stations) n += station.state == wanted ? 1 : 0;
  return n;
}

FirmwareProgress firmware_progress(std::string_view status) {
  if (status == "Installed") return FirmwareProgress::installed;
  for (std::string_view failure : {"DownloadFailed", "InstallationFailed", "InstallVerificationFailed",
                                   "InvalidSignature", "InstallCertificateInvalid"})
    if (status == failure) return FirmwareProgress::failed;
  return FirmwareProgress::going;
}

std::vector<std::size_t> next_stations(const Rollout& rollout) {
  std::vector<std::size_t> out;
  if (rollout.state != RolloutState::running || rollout.count(RolloutStationState::failed) >= rollout.max_failures)
    return out;
  std::size_t in_flight = rollout.count(RolloutStationState::sent);
  for (std::size_t i = 0; i < rollout.stations.size() && in_flight < rollout.concurrency; ++i) {
    if (rollout.stations[i].state != RolloutStationState::waiting) continue;
    out.push_back(i);
    ++in_flight;
  }
  return out;
}

void finish_station(Rollout& rollout, std::size_t index, bool installed, std::string detail, std::int64_t now_ms) {
  auto& station = rollout.stations.at(index);
  if (station.state != RolloutStationState::sent) return;  // already decided (a late answer)
  station.state = installed ? RolloutStationState::installed : RolloutStationState::failed;
  station.detail = std::move(detail);
  station.finished_ms = now_ms;
  settle(rollout, now_ms);
}

void settle(Rollout& rollout, std::int64_t now_ms) {
  if (rollout.state != RolloutState::running) return;
  const auto failed = rollout.count(RolloutStationState::failed);
  const bool left = rollout.count(RolloutStationState::waiting) + rollout.count(RolloutStationState::sent) > 0;
  if (failed >= rollout.max_failures && rollout.count(RolloutStationState::sent) == 0 && left) {
    rollout.state = RolloutState::stopped;
    rollout.reason = std::to_string(failed) + " stations failed (maxFailures " + std::to_string(rollout.max_failures) +
                     "): the others were not sent the update";
    rollout.finished_ms = now_ms;
  } else if (failed >= rollout.max_failures && rollout.count(RolloutStationState::sent) == 0) {
    rollout.state = RolloutState::stopped;
    rollout.reason =
        std::to_string(failed) + " stations failed (maxFailures " + std::to_string(rollout.max_failures) + ")";
    rollout.finished_ms = now_ms;
  } else if (!left) {
    rollout.state = RolloutState::done;
    rollout.finished_ms = now_ms;
  }
}

std::string rollout_json(const Rollout& rollout) {
  std::vector<std::string> stations;
  for (const auto& station : rollout.stations) {
    Object item;
    item.str("id", station.id).str("state", to_string(station.state));
    if (!station.detail.empty()) item.str("detail", station.detail);
    if (station.request_id) item.num("requestId", station.request_id);
    if (station.started_ms) item.str("startedAt", time_text(station.started_ms));
    if (station.finished_ms) item.str("finishedAt", time_text(station.finished_ms));
    stations.push_back(item.text());
  }
  Object out;
  out.str("id", rollout.id)
      .str("firmware", rollout.firmware)
      .str("state", to_string(rollout.state))
      .num("concurrency", static_cast<std::int64_t>(rollout.concurrency))
      .num("maxFailures", static_cast<std::int64_t>(rollout.max_failures))
      .num("stationTimeout", rollout.station_timeout_ms / 1000)
      .str("createdAt", time_text(rollout.created_ms));
  if (rollout.finished_ms) out.str("finishedAt", time_text(rollout.finished_ms));
  if (!rollout.reason.empty()) out.str("reason", rollout.reason);
  out.raw("counts", Object()
                        .num("waiting", static_cast<std::int64_t>(rollout.count(RolloutStationState::waiting)))
                        .num("updating", static_cast<std::int64_t>(rollout.count(RolloutStationState::sent)))
                        .num("installed", static_cast<std::int64_t>(rollout.count(RolloutStationState::installed)))
                        .num("failed", static_cast<std::int64_t>(rollout.count(RolloutStationState::failed)))
                        .num("skipped", static_cast<std::int64_t>(rollout.count(RolloutStationState::skipped)))
                        .text());
  out.raw("stations", api::maeve::array(stations));
  return out.text();
}

std::string FirmwareRollouts::start(caf::actor_system& system, NodeContextPtr ctx, Rollout rollout) {
  std::lock_guard lock(mutex_);
  // The API can start any number: the oldest finished ones are forgotten beyond kKept.
  for (auto it = rollouts_.begin(); it != rollouts_.end() && rollouts_.size() >= kKept;) {
    std::unique_lock rollout_lock(*it->second.mutex);
    const bool finished = it->second.rollout->state != RolloutState::running;
    rollout_lock.unlock();
    it = finished ? rollouts_.erase(it) : std::next(it);
  }
  rollout.id = "r" + std::to_string(next_++);
  Entry entry{std::make_shared<std::mutex>(), std::make_shared<Rollout>(std::move(rollout)), RolloutActor{}};
  const auto id = entry.rollout->id;
  entry.runner = system.spawn(rollout_runner, std::move(ctx), entry.mutex, entry.rollout);
  rollouts_.emplace(id, std::move(entry));
  return id;
}

std::optional<std::string> FirmwareRollouts::json_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = rollouts_.find(id);
  if (it == rollouts_.end()) return std::nullopt;
  std::lock_guard rollout_lock(*it->second.mutex);
  return rollout_json(*it->second.rollout);
}

std::string FirmwareRollouts::list_json() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> items;
  for (const auto& [id, entry] : rollouts_) {
    std::lock_guard rollout_lock(*entry.mutex);
    items.push_back(rollout_json(*entry.rollout));
  }
  return api::maeve::array(items);
}

bool FirmwareRollouts::cancel(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = rollouts_.find(id);
  if (it == rollouts_.end()) return false;
  std::lock_guard rollout_lock(*it->second.mutex);
  auto& rollout = *it->second.rollout;
  if (rollout.state == RolloutState::running) {
    rollout.state = RolloutState::cancelled;
    rollout.reason = "cancelled through the API";
    rollout.finished_ms = now_ms;
  }
  return true;
}

void FirmwareRollouts::stop_all() {
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : rollouts_) caf::anon_send(entry.runner, stop_atom::value);  // a finished one is gone already
}

}  // namespace evbroker::actors
