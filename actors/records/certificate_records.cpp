#include "actors/records/certificate_records.hpp"

namespace evbroker::actors {
namespace {

constexpr std::string_view kUpload = "upload";
constexpr std::string_view kSign = "sign";
constexpr std::string_view kInstall = "install";

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
