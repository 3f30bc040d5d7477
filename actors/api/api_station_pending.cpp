// GET /api/v0/cs/{csId}/pending and DELETE /api/v0/cs/{csId}/pending/{pendingId}: the work the node
// keeps for a station (actors/station/pending_work.hpp), listed from the store and cancelled by a
// delete through the committer.
//
// Cancelling races with the actor that sends the work: the station actor pushes settings, the
// security actor installs roots and delivers signed certificates. Both read the store before each
// send, but a send may start between our check and the commit. So the sender is asked first to hold
// the work (hold_atom): it refuses when the work is out right now (409: the station's answer decides
// it), else it keeps it back until we tell it the delete is committed (release_atom). A setting of a
// station that is not connected has no sender to ask: its next connection reads the store.

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/api/api_station_pending.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/router.hpp"
#include "actors/station/pending_work.hpp"

namespace evbroker::actors::api {
namespace {

constexpr auto kHoldTimeout = std::chrono::seconds(10);

bodies::PendingWork body_of(const PendingWork& work) {
  bodies::PendingWork out;
  out.kind = std::string(to_string(work.kind));
  out.id = work.id;
  out.since_ms = work.since_ms;
  auto set = [](std::optional<std::string>& member, const std::string& value) {
    if (!value.empty()) member = value;
  };
  set(out.key, work.setting_key);
  if (work.kind == PendingKind::setting) out.value = work.value;  // an empty value is a value
  set(out.certificate_type, work.certificate_type);
  set(out.certificate_hash, work.certificate_hash);
  out.attempts = work.attempts;
  set(out.last_outcome, work.last_outcome);
  return out;
}

/// The station id of the path, answering 400 when it cannot be one.
bool station_of(Request& r, std::string& id) {
  id = r.segments.at(1);
  std::string error;
  if (valid_station_id(id, error)) return true;
  r.respond(error_response(400, error));
  return false;
}

/// Deletes the work if it still waits, then answers; `release` (may be empty) tells the sender that
/// held it that the outcome is stored, whatever it is.
void commit_cancel(const NodeContextPtr& ctx, const std::string& station, const std::string& pending_id,
                   const transport::Responder& respond, std::function<void()> release) {
  auto removed = std::make_shared<std::optional<PendingWork>>();
  ctx->committer->submit(
      [station, pending_id, removed](storage::WriteTxn& txn) {
        // Judged again inside the write: the station may have answered since we looked.
        *removed = cancel_pending_work(txn, station, pending_id);
      },
      [ctx, station, pending_id, respond, removed, release = std::move(release)](const std::string& error) {
        if (release) release();
        if (!error.empty()) return respond(error_response(500, "could not cancel: " + error));
        if (!*removed)
          return respond(error_response(404, "no work waiting for " + station + " with id " + pending_id +
                                                 " (it may have been completed meanwhile)"));
        ctx->station_log->info("{}: cancelled through the API: {} {}", station, to_string((*removed)->kind),
                               pending_id);
        respond(empty_response(204));
      });
}

/// What a cancel needs once the sender has answered.
struct CancelJob {
  NodeContextPtr ctx;
  std::string key;  // what the sender holds: the setting's key, or the certificates table key
  std::string station;
  std::string pending_id;
  transport::Responder respond;
  bool gone_is_fine = false;  // a station actor gone meanwhile sends nothing more
};

/// Asks `sender` to hold the job's key, then commits the cancel (or answers 409 / 503).
template <class Sender>
void hold_then_cancel(caf::actor_system& system, Sender sender, CancelJob job) {
  // Everything goes in as spawn arguments, not captures: CAF 0.17 fails on a capturing function
  // spawned without arguments (api_stations.cpp does the same).
  system.spawn(
      [](caf::event_based_actor* self, Sender to, CancelJob j) {
        self->request(to, kHoldTimeout, hold_atom::value, j.key)
            .then(
                [to, j](const std::string& busy) {
                  if (!busy.empty()) return j.respond(error_response(409, busy));
                  commit_cancel(j.ctx, j.station, j.pending_id, j.respond,
                                [to, key = j.key] { caf::anon_send(to, release_atom::value, key); });
                },
                [j](const caf::error&) {
                  if (j.gone_is_fine) return commit_cancel(j.ctx, j.station, j.pending_id, j.respond, {});
                  j.respond(error_response(503, "the node's security actor did not answer in time; retry"));
                });
      },
      std::move(sender), std::move(job));
}

}  // namespace

void list_station_pending(Request& r) {
  std::string id;
  if (!station_of(r, id)) return;
  bodies::PendingWorkList answer;
  {
    auto reader = r.ctx->store->read();
    if (!reader.get(storage::Table::stations, id))
      return r.respond(error_response(404, "unknown charge station " + id));
    for (const auto& work : pending_work(reader, id)) answer.pending.push_back(body_of(work));
  }
  answer.cs_id = id;
  r.respond(json_response(200, ocpp::to_json(answer)));
}

void cancel_station_pending(Request& r) {
  std::string id;
  if (!station_of(r, id)) return;
  const std::string pending_id = r.segments.at(3);
  std::optional<PendingWork> work;
  {
    auto reader = r.ctx->store->read();  // ended before any commit is waited for (lmdb_store.hpp)
    if (!reader.get(storage::Table::stations, id))
      return r.respond(error_response(404, "unknown charge station " + id));
    work = find_pending_work(reader, id, pending_id);
  }
  if (!work) return r.respond(error_response(404, "no work waiting for " + id + " with id " + pending_id));
  if (work->kind == PendingKind::setting) {
    auto entry = r.ctx->directory->find(id);
    if (!entry || !r.system) return commit_cancel(r.ctx, id, pending_id, r.respond, {});
    return hold_then_cancel(*r.system, entry->actor,
                            CancelJob{r.ctx, work->setting_key, id, pending_id, r.respond, true});
  }
  const SecurityActor* security = r.ctx->router ? &r.ctx->router->security() : nullptr;
  if (!security || !*security || !r.system) return commit_cancel(r.ctx, id, pending_id, r.respond, {});
  hold_then_cancel(*r.system, *security, CancelJob{r.ctx, work->store_key, id, pending_id, r.respond, false});
}

}  // namespace evbroker::actors::api
