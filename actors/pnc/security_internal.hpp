#pragma once
// Shared by the security actor's translation units (one per flow): its state, the normalised form
// of a Plug & Charge request, and how answers and CSMS calls travel for each wire format.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/router.hpp"
#include "actors/records/certificate_records.hpp"
#include "actors/records/sign_channel.hpp"
#include "pki/x509.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/codec.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors::pnc {

inline constexpr std::string_view kPncVendor = "org.openchargealliance.iso15118pnc";

/// A Plug & Charge request in its 2.0.1 form, whichever way it arrived (`channel`: a 2.0.1 CALL,
/// a 1.6 security-extension CALL, or 1.6 DataTransfer iso15118pnc whose answer goes back as
/// DataTransfer.conf data).
struct PncRequest {
  IncomingCall call;
  SignChannel channel = SignChannel::v201;
  std::shared_ptr<const ocpp201::Request> request;
};

struct SecurityState {
  NodeContextPtr ctx;
  std::vector<pki::Certificate> configured_roots;  // --contract-roots files, read at start
  std::vector<pki::Certificate> hubject_roots;     // last answer of the back end's root list
  std::chrono::steady_clock::time_point hubject_roots_at{};
  std::set<std::string> deliveries_in_flight;  // sign_key()s with a CertificateSigned on its way
  // station -> the install_key() of its InstallCertificate out (or whose outcome is not stored yet)
  std::map<std::string, std::string> installing;
  // `certificates` keys the API is cancelling (hold_atom .. release_atom): not sent meanwhile
  std::set<std::string> held;
};
using Self = SecurityActor::stateful_base<SecurityState>;

// ---- answers ------------------------------------------------------------------------------------
/// Answers with a 2.0.1 response payload, as it is (2.0.1) or as a DataTransfer.conf's data string
/// (iso15118pnc). A 1.6 security-extension request (only SignCertificate comes that way) is
/// answered by its flow in its own 1.6 form.
void answer(const PncRequest& r, std::string payload201);
/// A StatusInfoType within the schema's limits (reasonCode <= 20, additionalInfo <= 512).
ocpp201::StatusInfoType status_info(std::string_view reason_code, std::string_view detail);

// ---- CSMS calls to stations -----------------------------------------------------------------------
// Calls go out through request_csms_call (station/csms_call.hpp), typed; the answers come back decoded.
/// A 2.0.1 CSMS call for a 1.6 station, as DataTransfer iso15118pnc carrying `request`'s JSON.
template <class Request201>
CsmsCall as_pnc_data_transfer(const Request201& request) {
  ocpp16::DataTransferRequest wrapped;
  wrapped.vendorId = std::string(kPncVendor);
  wrapped.messageId = std::string(ocpp201::info(ocpp201::ActionOf<Request201>::value).name);
  wrapped.data = ocpp::to_json(request);
  return CsmsCall::of(std::move(wrapped));
}
/// What the station answered to a call: its response (decoded), or nullopt with `error` saying
/// why there is none (not answered, a CALLERROR, ...). `inner` set: the call went as
/// DataTransfer iso15118pnc, and the answer is the 2.0.1 response of `inner` in DataTransfer.conf
/// data, a JSON document of its own decoded within `max_depth` (the node's --max-json-depth).
std::optional<ocpp::DecodedResponse> answer_of(const CsmsCallResult& result, std::optional<ocpp201::Action> inner,
                                               std::size_t max_depth, std::string& error);
/// The status the station answered ("Accepted", "Rejected", ...), or "" with `error` set when it
/// did not answer one (see answer_of).
std::string answered_status(const CsmsCallResult& result, std::optional<ocpp201::Action> inner, std::size_t max_depth,
                            std::string& error);

// ---- the flows ----------------------------------------------------------------------------------
void on_sign_certificate(Self* self, const PncRequest& r, const ocpp201::SignCertificateRequest& request);
void sign_stored_request(Self* self, const std::string& station_id, const std::string& certificate_type);
void deliver_certificate(Self* self, const std::string& station_id, const std::string& certificate_type);

void on_authorize(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request);
void on_get_certificate_status(Self* self, const PncRequest& r, const ocpp201::GetCertificateStatusRequest& request);
void on_get_15118_ev_certificate(Self* self, const PncRequest& r, const ocpp201::Get15118EVCertificateRequest& request);

/// The API is cancelling the work stored under `key` (pending_work.hpp): held unless it is being
/// sent now; answers "" when held, else what is out.
std::string hold_certificate_work(Self* self, const std::string& key);

void send_pending_installs(Self* self, const std::string& station_id);
/// An install's outcome is stored: the station may get its next one (only when it answered).
void on_install_stored(Self* self, const std::string& station_id, bool answered);
/// After a station's BootNotification: signing interrupted by a restart, certificates not yet
/// delivered, roots not yet installed.
void on_station_booted(Self* self, const std::string& station_id);

/// Trust anchors for contract certificates: configured files, the back end's roots (refreshed
/// when older than the TTL) and the local V2G root.
void with_contract_anchors(Self* self, std::function<void(std::vector<pki::Certificate>)> then);

}  // namespace evbroker::actors::pnc
