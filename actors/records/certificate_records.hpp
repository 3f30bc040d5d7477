#pragma once
// What the node keeps about certificates (table `certificates`), with the keys and JSON forms the
// security actor, the management API and the gate share.
//
//   upload  \0 <certificateHash>                 PEM of a client certificate uploaded through
//                                                POST /api/v0/certificate (TLS offload, MaEVe)
//   sign    \0 <stationId> \0 <certificateType>  SignRequestRecord: the station's latest
//                                                SignCertificate and what became of it
//   install \0 <stationId> \0 <certificateHash>  InstallRecord: a root to install on the station

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_writer.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

std::string upload_key(std::string_view certificate_hash);
std::string sign_key(std::string_view station_id, std::string_view certificate_type);
std::string sign_prefix(std::string_view station_id);
std::string install_key(std::string_view station_id, std::string_view certificate_hash);
std::string install_prefix(std::string_view station_id);

/// How the station asked, which decides how the certificate goes back to it.
enum class SignChannel {
  v201,     // 2.0.1 SignCertificate -> CertificateSigned
  v16,      // 1.6 security extension SignCertificate -> CertificateSigned
  v16_pnc,  // 1.6 DataTransfer org.openchargealliance.iso15118pnc SignCertificate -> DataTransfer CertificateSigned
};
const char* to_string(SignChannel channel);
std::optional<SignChannel> sign_channel_from(std::string_view text);

/// A station's certificate signing request and its progress:
///   Signing -> Signed -> Delivered          (the station answered CertificateSigned Accepted)
///   Signing -> Failed                       (the CA or back end refused; lastError says why)
///   Signed  -> Signed (attempts+1)          (delivery failed; retried with backoff)
struct SignRequestRecord {
  std::string station_id;
  std::string certificate_type;  // ChargingStationCertificate | V2GCertificate
  SignChannel channel = SignChannel::v201;
  std::string state;              // Signing | Signed | Delivered | Failed
  std::string signer;             // local | hubject
  std::string csr;                // PEM as received
  std::string certificate_chain;  // PEM, leaf first (Signed, Delivered)
  std::string certificate_hash;   // MaEVe hash of the leaf
  std::int64_t requested_at_ms = 0;
  std::int64_t signed_at_ms = 0;
  std::int64_t delivered_at_ms = 0;
  std::int64_t attempts = 0;  // CertificateSigned sent so far
  bool renewal = false;       // the station had one of this type delivered before (EST simplereenroll)
  std::string last_error;
};
std::string to_json(const SignRequestRecord& record);
std::optional<SignRequestRecord> parse_sign_request(std::string_view json);
/// The API form (docs/api.md): the record without the CSR.
void write_api_json(ocpp::JsonWriter& w, const SignRequestRecord& record);

/// A root certificate to install on a station (MaEVe's ChargeStationInstallCertificates entry).
struct InstallRecord {
  std::string station_id;
  std::string type;         // MaEVe: V2G | MO | MF | CSMS
  std::string certificate;  // PEM
  std::string certificate_hash;
  std::string status;  // Pending | Accepted | Rejected | Failed (MaEVe: Accepted | Rejected | Pending)
  std::string detail;  // why Rejected/Failed
  std::int64_t updated_at_ms = 0;
};
std::string to_json(const InstallRecord& record);
std::optional<InstallRecord> parse_install_record(std::string_view json);
void write_api_json(ocpp::JsonWriter& w, const InstallRecord& record);

/// Every record under `prefix` of the certificates table (a station has a handful).
std::vector<SignRequestRecord> sign_requests_of(const storage::Reader& reader, std::string_view station_id);
std::vector<InstallRecord> installs_of(const storage::Reader& reader, std::string_view station_id);

}  // namespace evbroker::actors
