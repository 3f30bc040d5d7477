#pragma once
// Every message actors exchange (CAF 0.17 atoms and payload types), by receiving actor, in one
// place (docs/architecture.md "The actors"). Everything here stays inside one process: the types
// are allowed as "unsafe" (not serializable) message types.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/all.hpp>

#include "protocol/error_codes.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

// ---- the messages, by the actor that receives them ---------------------------------------------
// Each: the message as sent (atom, arguments) -> what the receiver answers, if anything; who sends it.
// Messages an actor sends only to itself are here too, so that this one header lists every mailbox.

// Station actor (station/station_actor.cpp), one per connection:
/// (text, frame) from its session: a frame arrived
using text_atom = caf::atom_constant<caf::atom("text")>;
/// (message, Envelope) from the manager's bridge: a message of a station on another node
using message_atom = caf::atom_constant<caf::atom("message")>;
/// (closed, reason) from its session: socket gone
using closed_atom = caf::atom_constant<caf::atom("closed")>;
/// (replace) from the gate: a newer connection took over
using replace_atom = caf::atom_constant<caf::atom("replace")>;
/// (reply, CallReply) from a block: the answer to a CALL
using reply_atom = caf::atom_constant<caf::atom("reply")>;
/// (csmscall, CsmsCall) -> CsmsCallResult; csms_call.hpp
using csms_call_atom = caf::atom_constant<caf::atom("csmscall")>;
/// (withdraw, ticket) from a caller that gave up
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;
/// (push) from the API or a boot: push pending settings now
using push_atom = caf::atom_constant<caf::atom("push")>;
/// (kick, reason) from the API: close the connection
using kick_atom = caf::atom_constant<caf::atom("kick")>;
/// (timeout, sequence) to itself: a CALL went unanswered
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
/// (expire, ticket) to itself: a queued call waited too long
using expire_atom = caf::atom_constant<caf::atom("expire")>;
/// (setnext) to itself: the next settings call
using settings_next_atom = caf::atom_constant<caf::atom("setnext")>;

// Block actors (blocks/handler_kit.cpp) and the security actor, reached through the Router:
/// (handle, IncomingCall) from a station actor: a CALL
using handle_atom = caf::atom_constant<caf::atom("handle")>;
// Every actor the node stops at shutdown (blocks, security, back end, retention):
/// (stop) from the node: quit after the mailbox
using stop_atom = caf::atom_constant<caf::atom("stop")>;

// Security actor (pnc/security_actor.cpp, Router::Service::security):
/// (booted, stationId) from a station actor: deliver what waits
using booted_atom = caf::atom_constant<caf::atom("booted")>;
/// (install, stationId) from the API: send pending installs
using install_atom = caf::atom_constant<caf::atom("install")>;
/// (retry, stationId, certificateType) to itself: sign again
using retry_atom = caf::atom_constant<caf::atom("retry")>;
/// (signnow, stationId, certificateType) to itself
using sign_now_atom = caf::atom_constant<caf::atom("signnow")>;

// Back-end actor (pnc/backend_actor.cpp, Router::Service::backend); each request answers a BackendReply:
/// (enroll, csrPem, renewal) -> chain PEM
using enroll_atom = caf::atom_constant<caf::atom("enroll")>;
/// (contract, exiBase64, schemaVersion) -> exiResponse
using contract_atom = caf::atom_constant<caf::atom("contract")>;
/// (roots) -> PEM bundle of Hubject's roots
using roots_atom = caf::atom_constant<caf::atom("roots")>;
/// (ocsp, url, requestDer) -> response DER
using ocsp_atom = caf::atom_constant<caf::atom("ocsp")>;
/// (http, HttpOutcome) from the HTTP client: an exchange finished
using http_atom = caf::atom_constant<caf::atom("http")>;
/// (resend, exchangeId) to itself: retry after backoff
using resend_atom = caf::atom_constant<caf::atom("resend")>;

// Retention actor (blocks/retention.cpp, Router::Service::retention):
/// (sweep) to itself: delete events past their age
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// A CALL from a station, validated, on its way to the handler of its action.
struct IncomingCall {
  caf::actor station;  // where the reply goes
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string message_id;
  std::string payload;                           // as sent (compact or not): stored verbatim where "as sent" matters
  std::shared_ptr<const ocpp16::Request> v16;    // set when version == v16
  std::shared_ptr<const ocpp201::Request> v201;  // set when version == v201
  std::chrono::steady_clock::time_point received;
};

/// A handler's answer to an IncomingCall: a CALLRESULT payload or a CALLERROR.
struct CallReply {
  std::string message_id;
  bool ok = true;
  std::string payload;                                      // ok: the response payload JSON
  ocpp::ErrorCode error = ocpp::ErrorCode::internal_error;  // !ok
  std::string description;                                  // !ok
  std::chrono::steady_clock::time_point received;
};

/// A CALL the CSMS sends to a station (from the management API or the node itself), typed: the
/// station actor encodes it when it goes out and decodes the answer with the same action.
struct CsmsCall {
  ocpp::ActionRef action;        // of the station's version (a call for another is refused)
  ocpp::DecodedRequest request;  // the typed request, valid against its schema
  /// Names the call for withdraw_atom; 0: the station actor gives it one (see next_call_ticket).
  std::uint64_t ticket = 0;
  /// A call still waiting behind others at this time is withdrawn and reported not_sent; unset:
  /// one call timeout after it reached the station actor. Calls the node queues itself (settings)
  /// have no deadline.
  std::optional<std::chrono::steady_clock::time_point> send_by = std::nullopt;

  /// The call of a typed request of either version: CsmsCall::of(ocpp201::ResetRequest{...}).
  template <class Message>
  static CsmsCall of(Message message) {
    auto [action, request] = ocpp::typed_request(std::move(message));
    return CsmsCall{action, std::move(request)};
  }
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
  std::string payload;             // result, invalid_response: the CALLRESULT payload as the station sent it
  ocpp::DecodedResponse response;  // result: that payload decoded
  std::string error_code;
  std::string error_description;
  std::string error_details = "{}";
  bool sent = false;  // the CALL was written to the station's connection
};

/// What a back end answered.
struct BackendReply {
  bool ok = false;
  std::string value;    // ok: the result (see each message above)
  std::string error;    // !ok: what went wrong, for logs, the API and statusInfo.additionalInfo
  int http_status = 0;  // the last HTTP status seen (0: none, e.g. connection refused or timeout)
};

}  // namespace evbroker::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::IncomingCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CallReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCallResult)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::BackendReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::ocpp::Envelope)
