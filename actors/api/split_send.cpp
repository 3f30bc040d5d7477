#include "actors/api/split_send.hpp"

#include <memory>
#include <vector>

#include "actors/station/call_split.hpp"

namespace evbroker::actors::api {
namespace {

struct PartsInFlight {
  caf::actor_system* system = nullptr;
  NodeSettings settings;
  StationActor station;
  CsmsCall whole;
  std::vector<CsmsCall> parts;
  std::vector<CsmsCallResult> answers;
  CsmsCallDone done;
};

void send_next_part(const std::shared_ptr<PartsInFlight>& run) {
  if (run->answers.size() == run->parts.size())
    return run->done(merge_answers(run->whole, run->answers, run->parts.size()));
  auto part = run->parts[run->answers.size()];
  spawn_csms_call(*run->system, run->station, std::move(part), run->settings, [run](CsmsCallResult result) {
    const bool failed = result.kind != CsmsCallResult::Kind::result;
    run->answers.push_back(std::move(result));
    if (failed) return run->done(merge_answers(run->whole, run->answers, run->parts.size()));
    send_next_part(run);
  });
}

void send_within(const std::shared_ptr<PartsInFlight>& run, const MessageLimits& limits) {
  run->parts = split_call(run->whole, limits);
  send_next_part(run);
}

}  // namespace

void send_in_parts(caf::actor_system& system, const NodeContext& ctx, const std::string& station_id,
                   const StationActor& station, CsmsCall call, CsmsCallDone done) {
  auto run = std::make_shared<PartsInFlight>();
  run->system = &system;
  run->settings = ctx.settings;
  run->station = station;
  run->whole = std::move(call);
  run->done = std::move(done);
  if (auto reported = reported_limits(ctx.store->read(), station_id, run->whole)) return send_within(run, *reported);
  // Not reported yet: ask the station first. An answer without them means no limit is known: the
  // request goes whole, as the station would have got it anyway.
  spawn_csms_call(system, station, limits_request(run->whole), ctx.settings, [run](CsmsCallResult answer) {
    if (answer.kind != CsmsCallResult::Kind::result && answer.kind != CsmsCallResult::Kind::call_error &&
        answer.kind != CsmsCallResult::Kind::invalid_response)
      return run->done(answer);  // the station is gone or busy: the request itself would fare no better
    send_within(run, limits_from(run->whole, answer));
  });
}

}  // namespace evbroker::actors::api
