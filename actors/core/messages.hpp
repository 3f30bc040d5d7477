#pragma once
// Every message actors exchange (CAF 0.17 atoms and payload types) and every actor's typed handle,
// in one place (docs/architecture.md "The actors"). A handle lists what its actor takes, so a
// message the receiver has no handler for is a compile error, not a dead letter at run time.
// Everything here stays inside one process: the types are allowed as "unsafe" (not serializable)
// message types.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/all.hpp>

#include "actors/records/registration_status.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

// ---- the atoms ------------------------------------------------------------------------------
// What each message carries, who sends it and what it answers: the handles at the end of this file.

// The station actor:
using text_atom = caf::atom_constant<caf::atom("text")>;
using message_atom = caf::atom_constant<caf::atom("message")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using replace_atom = caf::atom_constant<caf::atom("replace")>;
using reply_atom = caf::atom_constant<caf::atom("reply")>;
using csms_call_atom = caf::atom_constant<caf::atom("csmscall")>;
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;
using push_atom = caf::atom_constant<caf::atom("push")>;
using kick_atom = caf::atom_constant<caf::atom("kick")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using settings_next_atom = caf::atom_constant<caf::atom("setnext")>;
using registration_atom = caf::atom_constant<caf::atom("regstatus")>;
// Cancelling waiting work (api/api_station_pending.cpp), to the station actor and the security actor:
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
// A local-list synchronisation's store write is done (station/local_list_sync.cpp, to itself):
using local_list_next_atom = caf::atom_constant<caf::atom("llnext")>;

// The blocks and the security actor:
using handle_atom = caf::atom_constant<caf::atom("handle")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using booted_atom = caf::atom_constant<caf::atom("booted")>;
using install_atom = caf::atom_constant<caf::atom("install")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using sign_now_atom = caf::atom_constant<caf::atom("signnow")>;
using installed_atom = caf::atom_constant<caf::atom("installed")>;

// The back-end and retention actors:
using enroll_atom = caf::atom_constant<caf::atom("enroll")>;
using contract_atom = caf::atom_constant<caf::atom("contract")>;
using roots_atom = caf::atom_constant<caf::atom("roots")>;
using ocsp_atom = caf::atom_constant<caf::atom("ocsp")>;
using http_atom = caf::atom_constant<caf::atom("http")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

// ---- the payloads ---------------------------------------------------------------------------

/// A handler's answer to an IncomingCall: a CALLRESULT payload or a CALLERROR.
struct CallReply {
  std::string message_id;
  bool ok = true;
  std::string payload;                                      // ok: the response payload JSON
  ocpp::ErrorCode error = ocpp::ErrorCode::internal_error;  // !ok
  std::string description;                                  // !ok
  std::chrono::steady_clock::time_point received;
  /// A BootNotification's answer: the registration status it gave (station/registration.hpp).
  std::optional<Registration> registration = std::nullopt;
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
    not_allowed,       // not sent: the station's registration does not allow it now (registration.hpp)
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

/// What the HTTP client reported, as a message the back-end actor sends itself.
struct HttpOutcome {
  std::uint64_t id = 0;
  bool delivered = false;  // false: no HTTP response (connect, TLS, timeout, ...)
  int status = 0;
  std::string body;
  std::string error;
};

// ---- the actors' typed handles -----------------------------------------------------------------
// One per kind of actor, with what it takes (reacts_to: no answer; replies_to ... with: a request).
// Messages an actor sends itself (timers, completions from the writer thread) are part of its
// handle: they arrive through the same mailbox.

/// Anything the node stops at shutdown (node.cpp): quits once its mailbox is done.
using StoppableActor = caf::typed_actor<caf::reacts_to<stop_atom>>;

/// The station actor (station/station_actor.cpp), one per connection.
using StationActor = caf::typed_actor<
    caf::reacts_to<text_atom, std::string>,        // its session: a frame arrived
    caf::reacts_to<message_atom, ocpp::Envelope>,  // the manager's bridge: a message of a remote station
    caf::reacts_to<closed_atom, std::string>,      // its session: the socket is gone, and why
    caf::reacts_to<replace_atom>,                  // the gate: a newer connection took over
    caf::reacts_to<reply_atom, CallReply>,         // a block: the answer to the station's CALL
    caf::replies_to<csms_call_atom, CsmsCall>::with<CsmsCallResult>,  // csms_call.hpp: a call to send
    caf::reacts_to<withdraw_atom, std::uint64_t>,                     // a caller that gave up on its ticket
    caf::reacts_to<push_atom>,                                        // the API or a boot: push pending settings now
    caf::reacts_to<kick_atom, std::string>,                           // the API: close the connection, and why
    // the API: the station's registration changed; answers what the connection did about it
    caf::replies_to<registration_atom, Registration>::with<std::string>,
    caf::reacts_to<timeout_atom, std::uint64_t>,  // itself: the call of this sequence went unanswered
    caf::reacts_to<expire_atom, std::uint64_t>,   // itself: the queued call of this ticket waited too long
    caf::reacts_to<settings_next_atom>,           // itself: the settings outcome is stored, next call
    // the API, cancelling a pending setting: keep this key out of every push until release_atom;
    // answers "" (held) or what is being sent now, when the key is in the settings call out
    caf::replies_to<hold_atom, std::string>::with<std::string>,
    caf::reacts_to<release_atom, std::string>>;  // the API: the cancel of this key is committed (or failed)

/// A CALL from a station, validated, on its way to the handler of its action.
struct IncomingCall {
  StationActor station;  // where the reply goes
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string message_id;
  std::string payload;                           // as sent (compact or not): stored verbatim where "as sent" matters
  std::shared_ptr<const ocpp16::Request> v16;    // set when version == v16
  std::shared_ptr<const ocpp201::Request> v201;  // set when version == v201
  std::chrono::steady_clock::time_point received;
};

/// A functional block (blocks/handler_kit.cpp): what the Router's table holds. It answers each
/// CALL with reply_atom to call.station.
using BlockActor = caf::typed_actor<caf::reacts_to<handle_atom, IncomingCall>,  // a station actor: a CALL
                                    caf::reacts_to<stop_atom>>;

/// The security actor (pnc/security_actor.cpp): a block for the security and Plug & Charge CALLs
/// that also delivers certificates when it can.
using SecurityActor =
    BlockActor::extend<caf::reacts_to<booted_atom, std::string>,              // a station actor: this station booted
                       caf::reacts_to<install_atom, std::string>,             // the API: send this station's installs
                       caf::reacts_to<retry_atom, std::string, std::string>,  // itself: deliver (station, type) again
                       caf::reacts_to<sign_now_atom, std::string, std::string>,  // itself: sign (station, type)
                       caf::reacts_to<installed_atom, std::string, bool>,        // itself: (station, answered) stored
                       // the API, cancelling waiting work: keep this `certificates` table key (an
                       // install or a sign request) from being sent until release_atom; answers ""
                       // (held) or what is being sent now
                       caf::replies_to<hold_atom, std::string>::with<std::string>,
                       caf::reacts_to<release_atom, std::string>>;  // the API: that cancel is committed (or failed)

/// The back-end actor (pnc/backend_actor.cpp): HTTP work towards Hubject and OCSP responders.
using BackendActor = caf::typed_actor<
    caf::replies_to<enroll_atom, std::string, bool>::with<BackendReply>,           // (csrPem, renewal) -> chain PEM
    caf::replies_to<contract_atom, std::string, std::string>::with<BackendReply>,  // (exi, schema) -> exi answer
    caf::replies_to<roots_atom>::with<BackendReply>,                               // -> Hubject's roots, PEM
    caf::replies_to<ocsp_atom, std::string, std::string>::with<BackendReply>,      // (url, requestDer) -> DER
    caf::reacts_to<http_atom, HttpOutcome>,                                        // itself: an exchange finished
    caf::reacts_to<resend_atom, std::uint64_t>,                                    // itself: retry after backoff
    caf::reacts_to<stop_atom>>;

/// The retention actor (blocks/retention.cpp): deletes stored events past their age.
using RetentionActor = caf::typed_actor<caf::reacts_to<sweep_atom>,  // itself: the next pass
                                        caf::reacts_to<stop_atom>>;

}  // namespace evbroker::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::IncomingCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CallReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::Registration)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCall)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::CsmsCallResult)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::BackendReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::actors::HttpOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evbroker::ocpp::Envelope)
