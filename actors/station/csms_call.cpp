#include "actors/station/csms_call.hpp"

#include <atomic>

namespace evbroker::actors {
namespace {

/// Beyond the station actor's own deadlines: mailbox and scheduling delays on a busy node.
constexpr std::chrono::seconds kGuardMargin{10};

}  // namespace

std::string_view csms_call_outcome_name(CsmsCallResult::Kind kind) {
  switch (kind) {
    case CsmsCallResult::Kind::result: return "result";
    case CsmsCallResult::Kind::call_error: return "call_error";
    case CsmsCallResult::Kind::invalid_response: return "invalid_response";
    case CsmsCallResult::Kind::timeout: return "timeout";
    case CsmsCallResult::Kind::disconnected: return "disconnected";
    case CsmsCallResult::Kind::queue_full: return "queue_full";
    case CsmsCallResult::Kind::not_sent: return "not_sent";
    case CsmsCallResult::Kind::not_allowed: return "not_allowed";
    case CsmsCallResult::Kind::unknown: return "unknown";
  }
  return "unknown";
}

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

CsmsCallResult csms_call_failed(const StationActor& station, std::uint64_t ticket, const caf::error& error) {
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
  return result;
}

CsmsCallResult station_not_connected() {
  CsmsCallResult result;
  result.kind = CsmsCallResult::Kind::disconnected;
  result.error_description = "not sent: the station is not connected";
  return result;
}

void spawn_csms_call(caf::actor_system& system, const StationActor& station, CsmsCall call,
                     const NodeSettings& settings, CsmsCallDone done) {
  // Everything goes in as spawn arguments: CAF 0.17 dereferences a null argument tuple when a
  // function actor takes none (UBSan reports it; docs/toolchain.md).
  system.spawn(
      [](caf::event_based_actor* self, StationActor target, CsmsCall message, NodeSettings node, CsmsCallDone report) {
        request_csms_call(self, target, std::move(message), node, std::move(report));
      },
      station, std::move(call), settings, std::move(done));
}

}  // namespace evbroker::actors
