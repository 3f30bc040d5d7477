#include "actors/records/certificate_records.hpp"

#include "actors/records/json_read.hpp"
#include "actors/records/record_json.hpp"
#include "protocol/date_time.hpp"

namespace evbroker::actors {
namespace {

using namespace record_json;

constexpr std::string_view kUpload = "upload";
constexpr std::string_view kSign = "sign";
constexpr std::string_view kInstall = "install";

/// Members that are often empty (no chain yet, no error) are left out rather than written as "".
void nonempty_member(ocpp::JsonWriter& w, std::string_view name, std::string_view value, bool& first) {
  if (!value.empty()) string_member(w, name, value, first);
}

// The stored and the API forms differ only in what is left out: the API drops the CSR (large and
// of no use to an operator) and the station id (it is in the request path).
void write_sign_request(ocpp::JsonWriter& w, const SignRequestRecord& r, bool stored) {
  bool first = true;
  w.raw('{');
  if (stored) string_member(w, "csId", r.station_id, first);
  string_member(w, "certificateType", r.certificate_type, first);
  string_member(w, "channel", to_string(r.channel), first);
  string_member(w, "state", r.state, first);
  nonempty_member(w, "signer", r.signer, first);
  if (stored) nonempty_member(w, "csr", r.csr, first);
  nonempty_member(w, "certificateChain", r.certificate_chain, first);
  nonempty_member(w, "certificateHash", r.certificate_hash, first);
  time_member(w, "requestedAt", r.requested_at_ms, first);
  time_member(w, "signedAt", r.signed_at_ms, first);
  time_member(w, "deliveredAt", r.delivered_at_ms, first);
  key(w, "attempts", first);
  w.integer(r.attempts);
  key(w, "renewal", first);
  w.boolean(r.renewal);
  nonempty_member(w, "lastError", r.last_error, first);
  w.raw('}');
}

void write_install(ocpp::JsonWriter& w, const InstallRecord& r, bool stored) {
  bool first = true;
  w.raw('{');
  if (stored) string_member(w, "csId", r.station_id, first);
  string_member(w, "type", r.type, first);
  string_member(w, "certificate", r.certificate, first);
  string_member(w, "certificateHash", r.certificate_hash, first);
  string_member(w, "status", r.status, first);
  nonempty_member(w, "detail", r.detail, first);
  time_member(w, "updatedAt", r.updated_at_ms, first);
  w.raw('}');
}

}  // namespace

// ---- keys -------------------------------------------------------------------------------------------
std::string upload_key(std::string_view certificate_hash) { return storage::key({kUpload, certificate_hash}); }

std::string sign_key(std::string_view station_id, std::string_view certificate_type) {
  return storage::key({kSign, station_id, certificate_type});
}

std::string sign_prefix(std::string_view station_id) { return storage::prefix({kSign, station_id}); }

std::string install_key(std::string_view station_id, std::string_view certificate_hash) {
  return storage::key({kInstall, station_id, certificate_hash});
}

std::string install_prefix(std::string_view station_id) { return storage::prefix({kInstall, station_id}); }

// ---- SignChannel ------------------------------------------------------------------------------------
const char* to_string(SignChannel channel) {
  switch (channel) {
    case SignChannel::v201: return "ocpp2.0.1";
    case SignChannel::v16: return "ocpp1.6";
    case SignChannel::v16_pnc: return "ocpp1.6-iso15118pnc";
  }
  return "ocpp2.0.1";
}

std::optional<SignChannel> sign_channel_from(std::string_view text) {
  for (auto channel : {SignChannel::v201, SignChannel::v16, SignChannel::v16_pnc})
    if (text == to_string(channel)) return channel;
  return std::nullopt;
}

// ---- SignRequestRecord ------------------------------------------------------------------------------
std::string to_json(const SignRequestRecord& record) {
  std::string out;
  ocpp::JsonWriter w(out);
  write_sign_request(w, record, true);
  return out;
}

void write_api_json(ocpp::JsonWriter& w, const SignRequestRecord& record) { write_sign_request(w, record, false); }

std::optional<SignRequestRecord> parse_sign_request(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return std::nullopt;
  SignRequestRecord r;
  r.station_id = json::get_string(*o, "csId").value_or("");
  r.certificate_type = json::get_string(*o, "certificateType").value_or("");
  r.channel = sign_channel_from(json::get_string(*o, "channel").value_or("")).value_or(SignChannel::v201);
  r.state = json::get_string(*o, "state").value_or("");
  r.signer = json::get_string(*o, "signer").value_or("");
  r.csr = json::get_string(*o, "csr").value_or("");
  r.certificate_chain = json::get_string(*o, "certificateChain").value_or("");
  r.certificate_hash = json::get_string(*o, "certificateHash").value_or("");
  r.requested_at_ms = parse_time(*o, "requestedAt");
  r.signed_at_ms = parse_time(*o, "signedAt");
  r.delivered_at_ms = parse_time(*o, "deliveredAt");
  r.attempts = json::get_int(*o, "attempts").value_or(0);
  r.renewal = json::get_bool(*o, "renewal").value_or(false);
  r.last_error = json::get_string(*o, "lastError").value_or("");
  return r;
}

// ---- InstallRecord ----------------------------------------------------------------------------------
std::string to_json(const InstallRecord& record) {
  std::string out;
  ocpp::JsonWriter w(out);
  write_install(w, record, true);
  return out;
}

void write_api_json(ocpp::JsonWriter& w, const InstallRecord& record) { write_install(w, record, false); }

std::optional<InstallRecord> parse_install_record(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return std::nullopt;
  InstallRecord r;
  r.station_id = json::get_string(*o, "csId").value_or("");
  r.type = json::get_string(*o, "type").value_or("");
  r.certificate = json::get_string(*o, "certificate").value_or("");
  r.certificate_hash = json::get_string(*o, "certificateHash").value_or("");
  r.status = json::get_string(*o, "status").value_or("");
  r.detail = json::get_string(*o, "detail").value_or("");
  r.updated_at_ms = parse_time(*o, "updatedAt");
  return r;
}

// ---- per station ------------------------------------------------------------------------------------
std::vector<SignRequestRecord> sign_requests_of(const storage::Reader& reader, std::string_view station_id) {
  std::vector<SignRequestRecord> out;
  reader.scan(storage::Table::certificates, sign_prefix(station_id), [&](std::string_view, std::string_view value) {
    // A record that does not parse is skipped: one damaged entry must not hide the others.
    if (auto record = parse_sign_request(value)) out.push_back(std::move(*record));
    return true;
  });
  return out;
}

std::vector<InstallRecord> installs_of(const storage::Reader& reader, std::string_view station_id) {
  std::vector<InstallRecord> out;
  reader.scan(storage::Table::certificates, install_prefix(station_id), [&](std::string_view, std::string_view value) {
    if (auto record = parse_install_record(value)) out.push_back(std::move(*record));
    return true;
  });
  return out;
}

}  // namespace evbroker::actors
