#include "actors/station/csms_call.hpp"

#include <atomic>

#include "actors/core/station_directory.hpp"

namespace evbroker::actors {
namespace {

/// Beyond the station actor's own deadlines: mailbox and scheduling delays on a busy node.
constexpr std::chrono::seconds kGuardMargin{10};

}  // namespace

std::uint64_t next_call_ticket() {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

caf::timespan csms_call_deadline(const NodeSettings& settings, const CsmsCall& call) {
  caf::timespan waiting = settings.call_timeout;
  if (call.send_by) {
    const auto left = *call.send_by - std::chrono::steady_clock::now();
    waiting = left > caf::timespan::zero() ? std::chrono::duration_cast<caf::timespan>(left) : caf::timespan::zero();
  }
  return waiting + settings.call_timeout + kGuardMargin;
}

void request_csms_call(caf::event_based_actor* self, const caf::actor& station, CsmsCall call,
                       const NodeSettings& settings, CsmsCallDone done) {
  if (call.ticket == 0) call.ticket = next_call_ticket();
  const auto ticket = call.ticket;
  const auto deadline = csms_call_deadline(settings, call);
  self->request(station, deadline, csms_call_atom::value, std::move(call))
      .then([done](CsmsCallResult& result) { done(std::move(result)); },
            [done, station, ticket](caf::error& error) {
              CsmsCallResult result;
              if (error == caf::sec::request_timeout) {
                // Never sent later behind the caller's back: withdraw it if it is still queued.
                caf::anon_send(station, withdraw_atom::value, ticket);
                result.kind = CsmsCallResult::Kind::unknown;
                result.error_description =
                    "no word from the station's connection in time; the call was withdrawn if it had not been sent";
              } else {
                // The station actor was gone before it took the call: it was never queued.
                result.kind = CsmsCallResult::Kind::disconnected;
                result.error_description = "not sent: the station's connection ended (" + caf::to_string(error) + ")";
              }
              done(std::move(result));
            });
}

void request_csms_call(caf::event_based_actor* self, const NodeContext& ctx, const std::string& station_id,
                       CsmsCall call, CsmsCallDone done) {
  auto entry = ctx.directory ? ctx.directory->find(station_id) : std::nullopt;
  if (!entry) {
    CsmsCallResult result;
    result.kind = CsmsCallResult::Kind::disconnected;
    result.error_description = "not sent: the station is not connected";
    return done(std::move(result));
  }
  request_csms_call(self, entry->actor, std::move(call), ctx.settings, std::move(done));
}

void spawn_csms_call(caf::actor_system& system, const caf::actor& station, CsmsCall call, const NodeSettings& settings,
                     CsmsCallDone done) {
  // Everything goes in as spawn arguments: CAF 0.17 dereferences a null argument tuple when a
  // function actor takes none (UBSan reports it; docs/toolchain.md).
  system.spawn(
      [](caf::event_based_actor* self, caf::actor target, CsmsCall message, NodeSettings node, CsmsCallDone report) {
        request_csms_call(self, target, std::move(message), node, std::move(report));
      },
      station, std::move(call), settings, std::move(done));
}

}  // namespace evbroker::actors
