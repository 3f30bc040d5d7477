#include "actors/station/local_list_sync.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include <simdjson.h>

#include "actors/records/json_read.hpp"
#include "actors/station/csms_call.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors {
namespace {

using Kind = LocalListSyncs::Kind;

struct Run {
  NodeContextPtr ctx;
  LocalListSyncs* syncs = nullptr;
  std::string station;
  Kind kind = Kind::change;
  StationActor actor;
  ocpp::Version version = ocpp::Version::v201;
  LocalListRecord record;
  bool had_record = false;
  ListLimits limits;
  std::vector<ListUpdate> updates;
  std::size_t next = 0;
  bool retried_full = false;  // after a VersionMismatch, once
  /// What follows the store write under way (run on the actor when local_list_next_atom arrives).
  std::function<void()> then;
};
using RunPtr = std::shared_ptr<Run>;
using Self = caf::event_based_actor;

void start(Self* self, const RunPtr& run);
void plan_and_send(Self* self, const RunPtr& run);

/// Stores the record (after `op`, in the same write), then goes on with `then` on the actor.
void store(Self* self, const RunPtr& run, std::function<void(storage::WriteTxn&)> op, std::function<void()> then) {
  run->record.updated_at_ms = run->ctx->clock->now_ms();
  auto me = caf::actor_cast<caf::actor>(self);
  run->ctx->committer->submit(
      [op = std::move(op), key = local_list_key(run->station), value = to_json(run->record)](storage::WriteTxn& txn) {
        if (op) op(txn);
        txn.put(storage::Table::station_runtime, key, value);
      },
      [me, run, then = std::move(then)](const std::string& error) mutable {
        if (!error.empty()) run->ctx->station_log->warn("{}: storing its local list failed: {}", run->station, error);
        run->then = std::move(then);
        caf::anon_send(me, local_list_next_atom::value);
      });
}

void finish(Self* self, const RunPtr& run) {
  if (auto again = run->syncs->finished(run->station)) {
    run->kind = *again;
    return start(self, run);
  }
  self->quit();
}

/// Ends the round in `state` (with `detail`), stored.
void end_in(Self* self, const RunPtr& run, std::string state, std::string detail) {
  run->record.state = std::move(state);
  run->record.detail = std::move(detail);
  if (run->record.state == "synced") run->record.synced_at_ms = run->ctx->clock->now_ms();
  store(self, run, nullptr, [self, run] { finish(self, run); });
}

std::string no_answer(const CsmsCallResult& result, std::string_view action) {
  using K = CsmsCallResult::Kind;
  std::string what = std::string(action) + " ";
  switch (result.kind) {
    case K::call_error: return what + "got CALLERROR " + result.error_code + ": " + result.error_description;
    case K::invalid_response: return what + "got an invalid answer: " + result.error_description;
    case K::timeout: return what + "got no answer in time";
    case K::not_allowed: return what + "is not allowed now: " + result.error_description;
    default: return what + "could not be sent: " + result.error_description;
  }
}

bool gone(const CsmsCallResult& result) {
  using K = CsmsCallResult::Kind;
  return result.kind == K::disconnected || result.kind == K::unknown || result.kind == K::not_sent ||
         result.kind == K::queue_full || result.kind == K::not_allowed;
}

std::optional<std::int64_t> positive_number(std::string_view text) {
  try {
    auto n = std::stoll(std::string(text));
    if (n >= 1) return n;
  } catch (...) {
  }
  return std::nullopt;
}

// ---- the station's version ------------------------------------------------------------------

void check_version(Self* self, const RunPtr& run) {
  auto call = run->version == ocpp::Version::v16 ? CsmsCall::of(ocpp16::GetLocalListVersionRequest{})
                                                 : CsmsCall::of(ocpp201::GetLocalListVersionRequest{});
  request_csms_call(self, run->actor, std::move(call), run->ctx->settings, [self, run](CsmsCallResult result) {
    simdjson::dom::object o;
    std::optional<std::int64_t> version;
    if (result.kind == CsmsCallResult::Kind::result &&
        json::thread_parser().parse(result.payload).get(o) == simdjson::SUCCESS)
      version = json::get_int(o, run->version == ocpp::Version::v16 ? "listVersion" : "versionNumber");
    if (!version) return end_in(self, run, "pending", no_answer(result, "GetLocalListVersion"));
    run->record.station_version = *version;
    // Not the version the node left it at (or a list the node never sent): the whole list again,
    // numbered after both.
    if (*version != run->record.version) {
      run->record.needs_full = true;
      run->record.version = std::max(run->record.version, *version);
    }
    plan_and_send(self, run);
  });
}

// ---- the station's limits -------------------------------------------------------------------

void after_limits(Self* self, const RunPtr& run) {
  if (run->kind == Kind::change) return plan_and_send(self, run);
  check_version(self, run);
}

void read_limits(Self* self, const RunPtr& run) {
  if (run->version == ocpp::Version::v16) {
    ocpp16::GetConfigurationRequest request;
    request.key = std::vector<std::string>{"SendLocalListMaxLength", "LocalAuthListMaxLength"};
    return request_csms_call(
        self, run->actor, CsmsCall::of(std::move(request)), run->ctx->settings, [self, run](CsmsCallResult result) {
          if (gone(result)) return end_in(self, run, "pending", no_answer(result, "GetConfiguration"));
          run->record.items_per_message = 0;
          run->record.max_entries = 0;
          simdjson::dom::object o;
          simdjson::dom::array keys;
          if (result.kind == CsmsCallResult::Kind::result &&
              json::thread_parser().parse(result.payload).get(o) == simdjson::SUCCESS &&
              o["configurationKey"].get(keys) == simdjson::SUCCESS) {
            for (auto item : keys) {
              simdjson::dom::object kv;
              if (item.get(kv) != simdjson::SUCCESS) continue;
              auto key = json::get_string(kv, "key").value_or("");
              auto value = positive_number(json::get_string(kv, "value").value_or(""));
              if (!value) continue;
              if (key == "SendLocalListMaxLength") run->record.items_per_message = *value;
              if (key == "LocalAuthListMaxLength") run->record.max_entries = *value;
            }
          }
          run->limits = known_list_limits(run->ctx->store->read(), run->station, run->version, run->record);
          after_limits(self, run);
        });
  }
  ocpp201::GetVariablesRequest request;
  for (const char* variable : {"ItemsPerMessage", "BytesPerMessage"}) {
    ocpp201::GetVariableDataType data;
    data.component.name = "LocalAuthListCtrlr";
    data.variable.name = variable;
    request.getVariableData.push_back(std::move(data));
  }
  request_csms_call(self, run->actor, CsmsCall::of(std::move(request)), run->ctx->settings,
                    [self, run](CsmsCallResult result) {
                      if (gone(result)) return end_in(self, run, "pending", no_answer(result, "GetVariables"));
                      simdjson::dom::object o;
                      simdjson::dom::array results;
                      if (result.kind == CsmsCallResult::Kind::result &&
                          json::thread_parser().parse(result.payload).get(o) == simdjson::SUCCESS &&
                          o["getVariableResult"].get(results) == simdjson::SUCCESS) {
                        for (auto item : results) {
                          simdjson::dom::object r, variable;
                          if (item.get(r) != simdjson::SUCCESS || r["variable"].get(variable) != simdjson::SUCCESS)
                            continue;
                          if (json::get_string(r, "attributeStatus").value_or("") != "Accepted") continue;
                          auto value = positive_number(json::get_string(r, "attributeValue").value_or(""));
                          if (!value) continue;
                          auto name = json::get_string(variable, "name").value_or("");
                          if (name == "ItemsPerMessage") run->record.items_per_message = *value;
                          if (name == "BytesPerMessage") run->record.bytes_per_message = *value;
                        }
                      }
                      run->limits = known_list_limits(run->ctx->store->read(), run->station, run->version, run->record);
                      after_limits(self, run);
                    });
}

// ---- the updates ----------------------------------------------------------------------------

void send_next(Self* self, const RunPtr& run) {
  if (run->next >= run->updates.size()) return end_in(self, run, "synced", "");
  const auto& update = run->updates[run->next];
  request_csms_call(
      self, run->actor, list_update_call(run->version, update), run->ctx->settings, [self, run](CsmsCallResult result) {
        const auto& sent = run->updates[run->next];
        const auto answer = list_update_answer(result);
        const auto which =
            std::string(sent.full ? "Full" : "Differential") + " SendLocalList version " + std::to_string(sent.version);
        if (answer == "Accepted") {
          run->record.version = sent.version;
          run->record.needs_full = false;
          run->record.state = "syncing";
          run->record.detail.clear();
          return store(
              self, run,
              [station = run->station, sent](storage::WriteTxn& txn) { store_accepted_update(txn, station, sent); },
              [self, run] {
                ++run->next;
                send_next(self, run);
              });
        }
        if (answer == "VersionMismatch" && !run->retried_full) {
          // The station's version is not what the node thinks: read it, and send it all.
          run->retried_full = true;
          run->kind = Kind::full;
          return check_version(self, run);
        }
        if (answer == "Failed" || answer == "VersionMismatch") {
          run->record.needs_full = true;
          return end_in(self, run, "failed", "the station answered " + answer + " to the " + which);
        }
        if (answer == "NotSupported")
          return end_in(
              self, run, "unsupported",
              "the station does not take local authorization lists (" + which + ": " +
                  (result.kind == CsmsCallResult::Kind::call_error ? result.error_code : std::string("NotSupported")) +
                  ")");
        end_in(self, run, "pending", no_answer(result, which));
      });
}

void plan_and_send(Self* self, const RunPtr& run) {
  auto reader = run->ctx->store->read();
  std::size_t left_out = 0;
  const auto desired = desired_list(reader, run->station, run->version, run->ctx->clock->now_ms(), &left_out);
  const auto sent = sent_list(reader, run->station);
  auto plan = plan_list_updates(run->version, desired, sent, run->record.version,
                                run->kind == Kind::full || run->record.needs_full, run->limits);
  if (!plan.refusal.empty()) return end_in(self, run, "refused", plan.refusal);
  run->updates = std::move(plan.updates);
  run->next = 0;
  if (left_out)
    run->ctx->station_log->warn("{}: {} tokens of its local list have uids longer than a 1.6 idTag (20 characters)",
                                run->station, left_out);
  send_next(self, run);
}

void start(Self* self, const RunPtr& run) {
  auto entry = run->ctx->directory ? run->ctx->directory->find(run->station) : std::nullopt;
  if (!entry) return finish(self, run);  // gone: its next boot brings it up to date
  run->actor = entry->actor;
  run->version = entry->version;
  auto reader = run->ctx->store->read();
  auto record = local_list_record(reader, run->station);
  // A station no token is assigned to and that never had a list from the node is left alone: its
  // list, if any, is someone else's.
  if (!record && desired_list(reader, run->station, run->version, run->ctx->clock->now_ms()).empty())
    return finish(self, run);
  run->had_record = record.has_value();
  run->record = record.value_or(LocalListRecord{});
  run->retried_full = false;
  run->limits = known_list_limits(reader, run->station, run->version, record);
  // Limits: read at each boot (a firmware update may change them) unless the device model has them.
  const bool reported = run->version != ocpp::Version::v16 && (run->limits.items || run->limits.bytes);
  if (!reported && (run->kind != Kind::change || !run->had_record)) return read_limits(self, run);
  after_limits(self, run);
}

caf::behavior runner(Self* self, RunPtr run) {
  start(self, run);
  return {[run](local_list_next_atom) {
    auto then = std::move(run->then);
    run->then = nullptr;
    if (then) then();
  }};
}

}  // namespace

void LocalListSyncs::request(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station,
                             Kind kind) {
  if (!ctx->directory || !ctx->directory->find(station)) return;
  {
    std::lock_guard lock(mutex_);
    if (auto it = running_.find(station); it != running_.end()) {
      it->second = it->second ? std::max(*it->second, kind) : kind;
      return;
    }
    running_.emplace(station, std::nullopt);
  }
  auto run = std::make_shared<Run>();
  run->ctx = ctx;
  run->syncs = this;
  run->station = station;
  run->kind = kind;
  // Everything goes in as spawn arguments (CAF 0.17 and argument-less function actors: csms_call.cpp).
  system.spawn(runner, std::move(run));
}

void LocalListSyncs::scopes_changed(caf::actor_system& system, const NodeContextPtr& ctx,
                                    const std::vector<LocalListScope>& scopes) {
  if (!ctx->directory || std::all_of(scopes.begin(), scopes.end(), [](const auto& s) { return s.empty(); })) return;
  auto reader = ctx->store->read();
  for (const auto& station : ctx->directory->ids()) {
    const auto groups = station_groups(reader, station);
    if (std::any_of(scopes.begin(), scopes.end(), [&](const auto& s) { return s.covers(station, groups); }))
      request(system, ctx, station, Kind::change);
  }
}

bool LocalListSyncs::running(const std::string& station) const {
  std::lock_guard lock(mutex_);
  return running_.count(station) != 0;
}

std::optional<LocalListSyncs::Kind> LocalListSyncs::finished(const std::string& station) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(station);
  if (it == running_.end()) return std::nullopt;
  if (auto again = it->second) {
    it->second.reset();
    return again;
  }
  running_.erase(it);
  return std::nullopt;
}

}  // namespace evbroker::actors
