// Firmware rollouts through the API (firmware_rollout.hpp): POST /api/v0/firmware-rollouts starts
// one, GET lists them or shows one, DELETE cancels one.

#include <set>

#include "actors/api/api_maeve.hpp"
#include "actors/api/api_support.hpp"
#include "actors/api/firmware_rollout.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/files/file_store.hpp"
#include "actors/records/records.hpp"

namespace evbroker::actors::api {

void start_firmware_rollout(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_firmware_rollout_request);
  if (!body) return;
  if (!r.ctx->files || !r.ctx->rollouts)
    return r.respond(error_response(503, "this node serves no files: it runs without --files-addr"));
  if (!r.ctx->files->firmware_file(body->firmware))
    return r.respond(error_response(404, "no firmware image " + body->firmware + " (PUT /api/v0/firmware/{name})"));
  Rollout rollout;
  auto reader = r.ctx->store->read();
  std::set<std::string> seen;
  for (const auto& id : body->stations) {
    if (!seen.insert(id).second) return r.respond(error_response(400, "/stations: " + id + " is listed twice"));
    if (!reader.get(storage::Table::stations, id))
      return r.respond(error_response(404, "unknown charge station " + id));
    RolloutStation station;
    station.id = id;
    rollout.stations.push_back(std::move(station));
  }
  rollout.firmware = body->firmware;
  rollout.location = r.ctx->files->firmware_url(body->firmware);
  rollout.concurrency = static_cast<std::size_t>(body->concurrency.value_or(1));
  rollout.max_failures = static_cast<std::size_t>(body->max_failures.value_or(1));
  rollout.station_timeout_ms = body->station_timeout.value_or(3600) * 1000;
  rollout.created_ms = r.ctx->clock->now_ms();
  const auto id = r.ctx->rollouts->start(*r.system, r.ctx, std::move(rollout));
  r.respond(json_response(202, r.ctx->rollouts->json_of(id).value_or("{}")));
}

void list_firmware_rollouts(Request& r) {
  if (!r.ctx->rollouts) return r.respond(json_response(200, "[]"));
  r.respond(json_response(200, r.ctx->rollouts->list_json()));
}

void get_firmware_rollout(Request& r) {
  const auto& id = r.segments.at(1);
  auto json = r.ctx->rollouts ? r.ctx->rollouts->json_of(id) : std::nullopt;
  if (!json) return r.respond(error_response(404, "no rollout " + id));
  r.respond(json_response(200, std::move(*json)));
}

void cancel_firmware_rollout(Request& r) {
  const auto& id = r.segments.at(1);
  if (!r.ctx->rollouts || !r.ctx->rollouts->cancel(id, r.ctx->clock->now_ms()))
    return r.respond(error_response(404, "no rollout " + id));
  r.respond(json_response(200, r.ctx->rollouts->json_of(id).value_or("{}")));
}

}  // namespace evbroker::actors::api
