#pragma once
// The messages actors exchange (CAF 0.17 atoms and payload types). Everything here stays inside
// one process: the types are allowed as "unsafe" (not serializable) message types.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/all.hpp>

#include "protocol/error_codes.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

// ---- atoms -------------------------------------------------------------------------------------
using text_atom = caf::atom_constant<caf::atom("text")>;          // session -> station: a frame
using closed_atom = caf::atom_constant<caf::atom("closed")>;      // session -> station: socket gone
using replace_atom = caf::atom_constant<caf::atom("replace")>;    // a newer connection took over
using handle_atom = caf::atom_constant<caf::atom("handle")>;      // station -> handler: a CALL
using reply_atom = caf::atom_constant<caf::atom("reply")>;        // handler -> station: its answer
using csms_call_atom = caf::atom_constant<caf::atom("csmscall")>; // API -> station: send a CALL
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;    // station: a CALL went unanswered
using push_atom = caf::atom_constant<caf::atom("push")>;          // push pending settings now
using kick_atom = caf::atom_constant<caf::atom("kick")>;          // close the connection (API)
using stop_atom = caf::atom_constant<caf::atom("stop")>;          // shutdown: quit after the mailbox
using expire_atom = caf::atom_constant<caf::atom("expire")>;      // station: a queued call waited too long
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;  // caller -> station: forget my call
using settings_next_atom = caf::atom_constant<caf::atom("setnext")>;  // station: the next settings call

/// A CALL from a station, validated, on its way to the handler of its action.
struct IncomingCall {
  caf::actor station;  // where the reply goes
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string message_id;
  std::string payload;  // as sent (compact or not): stored verbatim where "as sent" matters
  std::shared_ptr<const ocpp16::Request> v16;    // set when version == v16
  std::shared_ptr<const ocpp201::Request> v201;  // set when version == v201
  std::chrono::steady_clock::time_point received;
};

/// A handler's answer to an IncomingCall: a CALLRESULT payload or a CALLERROR.
struct CallReply {
  std::string message_id;
  bool ok = true;
  std::string payload;                 // ok: the response payload JSON
  ocpp::ErrorCode error = ocpp::ErrorCode::internal_error;  // !ok
  std::string description;            // !ok
  std::chrono::steady_clock::time_point received;
};

/// A CALL the CSMS sends to a station (from the management API or the node itself).
struct CsmsCall {
  std::string action;   // wire name, valid for the station's version
  std::string payload;  // validated request payload JSON
  /// Names the call for withdraw_atom; 0: the station actor gives it one (see next_call_ticket).
  std::uint64_t ticket = 0;
  /// A call still waiting behind others at this time is withdrawn and reported not_sent; unset:
  /// one call timeout after it reached the station actor. Calls the node queues itself (settings)
  /// have no deadline.
  std::optional<std::chrono::steady_clock::time_point> send_by = std::nullopt;
};

/// A ticket no other call of this process has.
std::uint64_t next_call_ticket();

/// What became of a CsmsCall. Every kind says whether the call went out to the station: what the
/// caller is told is what happened (a call reported as not sent never is sent).
struct CsmsCallResult {
  enum class Kind : std::uint8_t {
    result,            // sent; CALLRESULT; payload holds it
    call_error,        // sent; CALLERROR; error_* fields hold it
    invalid_response,  // sent; the answer broke the response schema; error_description says how
    timeout,           // sent; no answer within the call timeout
    disconnected,      // the station went away: `sent` says whether before or after the call went out
    queue_full,        // not sent: too many calls already waiting for this station
    not_sent,          // not sent: it waited past its send_by behind earlier calls, or was withdrawn
    unknown,           // the caller got no word from the station actor in time (it withdrew the call
                       // if it had not gone out; whether it had is not known)
  };
  Kind kind = Kind::result;
  std::string payload;
  std::string error_code;
  std::string error_description;
  std::string error_details = "{}";
  bool sent = false;  // the CALL was written to the station's connection
};

}  // namespace evbroker::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::IncomingCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CallReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCallResult)
