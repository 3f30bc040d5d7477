#pragma once
// Shared by the security actor's translation units (one per flow): its state, the normalised form
// of a Plug & Charge request, and how answers and CSMS calls travel for each wire format.

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/core/messages.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/router.hpp"
#include "actors/records/certificate_records.hpp"
#include "actors/core/messages.hpp"
#include "pki/x509.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors::pnc {

inline constexpr std::string_view kPncVendor = "org.openchargealliance.iso15118pnc";

/// How a request reached us, which decides how its answer is wrapped.
enum class Wire {
  v201,     // a 2.0.1 CALL
  v16,      // a 1.6 security-extension CALL (SignCertificate)
  v16_pnc,  // 1.6 DataTransfer iso15118pnc: the answer goes back as DataTransfer.conf data
};

/// A Plug & Charge request in its 2.0.1 form, whichever way it arrived.
struct PncRequest {
  IncomingCall call;
  Wire wire = Wire::v201;
  std::shared_ptr<const ocpp201::Request> request;
};

struct SecurityState {
  NodeContextPtr ctx;
  std::vector<pki::Certificate> configured_roots;  // --contract-roots files, read at start
  std::vector<pki::Certificate> hubject_roots;     // last answer of the back end's root list
  std::chrono::steady_clock::time_point hubject_roots_at{};
  std::set<std::string> deliveries_in_flight;  // sign_key()s with a CertificateSigned on its way
  std::set<std::string> installs_in_flight;    // install_key()s with an InstallCertificate on its way
};
using Self = caf::stateful_actor<SecurityState>;

// ---- answers ------------------------------------------------------------------------------------
/// Answers with a 2.0.1 response payload, wrapped for the wire it came on (1.6 DataTransfer.conf
/// with the payload as its data string).
void answer(const PncRequest& r, std::string payload201);
/// A StatusInfoType within the schema's limits (reasonCode <= 20, additionalInfo <= 512).
ocpp201::StatusInfoType status_info(std::string_view reason_code, std::string_view detail);

// ---- CSMS calls to stations -----------------------------------------------------------------------
using CallDone = std::function<void(const CsmsCallResult&)>;
/// Sends a call to the connected station (disconnected result when it is not connected).
void call_station(Self* self, const std::string& station_id, CsmsCall call, CallDone done);
/// A 2.0.1 CSMS call for a 1.6 station, as DataTransfer iso15118pnc.
CsmsCall as_pnc_data_transfer(std::string_view message_id, std::string_view payload201);
/// The 2.0.1 response inside a DataTransfer.conf; empty with `error` set when there is none.
std::string unwrap_pnc_response(const CsmsCallResult& result, std::string& error);
/// "Accepted", "Rejected", ... of a response payload ("" when unreadable).
std::string response_status(std::string_view payload);
std::string describe_failure(const CsmsCallResult& result);
/// The status the station answered ("Accepted", "Rejected", ...) to a call sent natively or, when
/// `wrapped`, through DataTransfer iso15118pnc; "" with `error` set when it did not answer one.
std::string answered_status(const CsmsCallResult& result, bool wrapped, std::string& error);

// ---- the flows ----------------------------------------------------------------------------------
void on_sign_certificate(Self* self, const PncRequest& r, const ocpp201::SignCertificateRequest& request);
void sign_stored_request(Self* self, const std::string& station_id, const std::string& certificate_type);
void deliver_certificate(Self* self, const std::string& station_id, const std::string& certificate_type);

void on_authorize(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request);
void on_get_certificate_status(Self* self, const PncRequest& r, const ocpp201::GetCertificateStatusRequest& request);
void on_get_15118_ev_certificate(Self* self, const PncRequest& r, const ocpp201::Get15118EVCertificateRequest& request);

void send_pending_installs(Self* self, const std::string& station_id);
/// After a station's BootNotification: signing interrupted by a restart, certificates not yet
/// delivered, roots not yet installed.
void on_station_booted(Self* self, const std::string& station_id);

/// Trust anchors for contract certificates: configured files, the back end's roots (refreshed
/// when older than the TTL) and the local V2G root.
void with_contract_anchors(Self* self, std::function<void(std::vector<pki::Certificate>)> then);

}  // namespace evbroker::actors::pnc
