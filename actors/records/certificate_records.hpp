#pragma once
// What the node keeps about certificates (table `certificates`): the keys the security actor, the
// management API and the gate share. The records (SignRequestRecord, InstallRecord) and their JSON
// forms are generated from records.schema.json (generated/record_types.hpp).
//
//   upload  \0 <certificateHash>                 PEM of a client certificate uploaded through
//                                                POST /api/v0/certificate (TLS offload, MaEVe)
//   sign    \0 <stationId> \0 <certificateType>  SignRequestRecord: the station's latest
//                                                SignCertificate and what became of it
//   install \0 <stationId> \0 <certificateHash>  InstallRecord: a root to install on the station

#include <string>
#include <string_view>
#include <vector>

#include "actors/records/generated/record_types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

std::string upload_key(std::string_view certificate_hash);
std::string sign_key(std::string_view station_id, std::string_view certificate_type);
std::string sign_prefix(std::string_view station_id);
std::string install_key(std::string_view station_id, std::string_view certificate_hash);
std::string install_prefix(std::string_view station_id);

/// Every record under `prefix` of the certificates table (a station has a handful).
std::vector<SignRequestRecord> sign_requests_of(const storage::Reader& reader, std::string_view station_id);
std::vector<InstallRecord> installs_of(const storage::Reader& reader, std::string_view station_id);

}  // namespace evbroker::actors
