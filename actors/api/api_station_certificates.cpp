// Certificates of one charge station (MaEVe's POST /api/v0/cs/{csId}/certificates, and ours):
// roots to install, what the node keeps about the station's certificates, and the station's own
// list of installed certificates (asked live) with deletion.

#include <caf/all.hpp>

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/certificate_records.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/router.hpp"
#include "pki/x509.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors::api {
namespace {

/// The installs a ChargeStationInstallCertificates body (already checked against its schema) asks
/// for; the error names the entry whose certificate is not a PEM certificate.
std::optional<std::vector<InstallRecord>> install_records(const bodies::ChargeStationInstallCertificates& body,
                                                          std::string& error) {
  std::vector<InstallRecord> records;
  for (const auto& entry : body.certificates) {
    auto certificate = pki::Certificate::from_pem(entry.certificate);
    if (!certificate) {
      error = "/certificates/" + std::to_string(records.size()) + "/certificate: " + certificate.error();
      return std::nullopt;
    }
    InstallRecord& record = records.emplace_back();
    record.type = entry.type;
    record.certificate = certificate->pem();
    record.certificate_hash = certificate->sha256_hash();
    record.status = "Pending";  // the node's to set (MaEVe's rule), whatever the entry said
  }
  return records;
}

/// Every value of the query parameter `name`, repeated (?type=a&type=b) or comma-separated (?type=a,b).
std::vector<std::string> query_list(const Request& r, std::string_view name) {
  std::vector<std::string> out;
  for (auto& [key, value] : transport::parse_query(r.http.query)) {
    if (key != name) continue;
    std::size_t start = 0;
    while (start <= value.size()) {
      auto end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      if (end > start) out.push_back(value.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

/// GetInstalledCertificateIds for the station's version, or an error naming the query parameter.
/// 2.0.1 takes any number of types (none: all); the 1.6 security extension exactly one, of its own
/// two (the 2.0.1 names are not accepted there: they would mean something the station cannot list).
std::optional<std::string> installed_ids_request(ocpp::Version version, const std::vector<std::string>& types,
                                                 std::string& error) {
  std::string payload;
  ocpp::JsonWriter w(payload);
  if (version == ocpp::Version::v16) {
    if (types.size() > 1) {
      error = "type: an ocpp1.6 station lists one certificate type at a time";
      return std::nullopt;
    }
    const std::string type = types.empty() ? "CentralSystemRootCertificate" : types.front();
    ocpp16::CertificateUseEnumType parsed{};
    if (!ocpp16::parse_enum(type, parsed)) {
      error = "type: " + type +
              " is not a certificate type of ocpp1.6 (CentralSystemRootCertificate, "
              "ManufacturerRootCertificate)";
      return std::nullopt;
    }
    w.raw("{\"certificateType\":");
    w.string(type);
    w.raw('}');
    return payload;
  }
  w.raw('{');
  if (!types.empty()) {
    w.raw("\"certificateType\":[");
    for (std::size_t i = 0; i < types.size(); ++i) {
      ocpp201::GetCertificateIdUseEnumType parsed{};
      if (!ocpp201::parse_enum(types[i], parsed)) {
        error = "type: " + types[i] +
                " is not a certificate type of ocpp2.0.1 (V2GRootCertificate, "
                "MORootCertificate, CSMSRootCertificate, V2GCertificateChain, "
                "ManufacturerRootCertificate)";
        return std::nullopt;
      }
      if (i) w.raw(',');
      w.string(types[i]);
    }
    w.raw(']');
  }
  w.raw('}');
  return payload;
}

}  // namespace

void install_station_certificates(Request& r) {
  const std::string id = r.segments.at(1);
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_charge_station_install_certificates(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  std::string error;
  auto records = install_records(*decoded, error);
  if (!records) return r.respond(error_response(400, error));
  const auto now = r.ctx->clock->now_ms();
  for (auto& record : *records) {
    record.station_id = id;
    record.updated_at_ms = now;
  }

  auto respond = r.respond;
  auto ctx = r.ctx;
  auto unknown = std::make_shared<bool>(false);
  ctx->committer->submit(
      [id, records = *records, unknown](storage::WriteTxn& txn) {
        // Checked in the write so that a station deleted meanwhile gets no orphaned installs.
        if (!txn.get(storage::Table::stations, id)) {
          *unknown = true;
          return;
        }
        // Installing a root again makes it Pending again: the operator asks for it to be sent.
        for (const auto& record : records)
          txn.put(storage::Table::certificates, install_key(id, record.certificate_hash), to_json(record));
      },
      [respond, ctx, id, records = *records, unknown](const std::string& failure) {
        if (!failure.empty()) return respond(error_response(500, "could not store the certificates: " + failure));
        if (*unknown) return respond(error_response(404, "unknown charge station " + id));
        // The security actor sends InstallCertificate now if the station is connected, else after its
        // next boot (it looks for Pending installs then).
        if (ctx->directory->find(id))
          if (const auto& security = ctx->router->security()) caf::anon_send(security, install_atom::value, id);
        bodies::InstallCertificatesResult answer;
        for (const auto& record : records)
          answer.certificates.push_back(
              bodies::InstallCertificate{record.type, record.certificate, record.status, record.certificate_hash});
        respond(json_response(200, ocpp::to_json(answer)));
      });
}

void get_station_certificates(Request& r) {
  const std::string id = r.segments.at(1);
  bodies::StationCertificates answer;
  {
    auto reader = r.ctx->store->read();
    if (!reader.get(storage::Table::stations, id))
      return r.respond(error_response(404, "unknown charge station " + id));
    answer.sign_requests = sign_requests_of(reader, id);
    answer.installs = installs_of(reader, id);
  }
  r.respond(json_response(200, ocpp::to_json(answer)));
}

void list_installed_certificates(Request& r) {
  const std::string id = r.segments.at(1);
  const auto types = query_list(r, "type");
  auto station = connected_station(r, id);
  if (!station) return;
  std::string error;
  auto payload = installed_ids_request(station->version, types, error);
  if (!payload) return r.respond(error_response(400, error));
  validate_and_send(r, *station, "GetInstalledCertificateIds", *payload);
}

void delete_installed_certificate(Request& r) {
  const std::string id = r.segments.at(1);
  // certificateHashData has the same fields in 2.0.1 and the 1.6 security extension.
  std::string payload;
  ocpp::JsonWriter w(payload);
  w.raw("{\"certificateHashData\":{\"hashAlgorithm\":");
  const auto algorithm = r.query_value("hashAlgorithm");
  w.string(algorithm.empty() ? std::string_view("SHA256") : std::string_view(algorithm));
  for (std::string_view name : {"issuerNameHash", "issuerKeyHash", "serialNumber"}) {
    const auto value = r.query_value(name);
    if (value.empty()) return r.respond(error_response(400, std::string(name) + ": missing query parameter"));
    w.raw(',');
    w.string(name);
    w.raw(':');
    w.string(value);
  }
  w.raw("}}");
  auto station = connected_station(r, id);
  if (!station) return;
  validate_and_send(r, *station, "DeleteCertificate", payload);
}

}  // namespace evbroker::actors::api
