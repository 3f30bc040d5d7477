// Uploaded client certificates (MaEVe's /api/v0/certificate): a TLS-terminating proxy in front of
// the node may pass only the hash of a station's client certificate; the gate then finds the
// certificate itself here, stored under upload_key(hash) of the certificates table.

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/records/certificate_records.hpp"
#include "pki/x509.hpp"

namespace evbroker::actors::api {

void upload_certificate(Request& r) {
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_certificate(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  auto certificate = pki::Certificate::from_pem(decoded->certificate);
  if (!certificate) return r.respond(error_response(400, "/certificate: " + certificate.error()));

  // The certificate is stored as OpenSSL writes it back: the hash is over its DER, so the PEM we keep
  // and hand out is exactly what the hash names (text around the PEM block, or a chain's further
  // certificates, are not kept).
  const std::string hash = certificate->sha256_hash();
  auto respond = r.respond;
  r.ctx->committer->submit([key = upload_key(hash), stored = certificate->pem()](
                               storage::WriteTxn& txn) { txn.put(storage::Table::certificates, key, stored); },
                           [respond, hash](const std::string& error) {
                             if (!error.empty())
                               return respond(error_response(500, "could not store the certificate: " + error));
                             respond(json_response(201, ocpp::to_json(bodies::CertificateHash{hash})));
                           });
}

void get_uploaded_certificate(Request& r) {
  const auto& hash = r.segments.at(1);
  auto stored = r.ctx->store->read().get(storage::Table::certificates, upload_key(hash));
  if (!stored) return r.respond(error_response(404, "unknown certificate " + hash));
  r.respond(json_response(200, ocpp::to_json(bodies::Certificate{std::move(*stored)})));
}

void delete_uploaded_certificate(Request& r) {
  const auto hash = r.segments.at(1);
  auto respond = r.respond;
  auto found = std::make_shared<bool>(false);
  r.ctx->committer->submit(
      [key = upload_key(hash), found](storage::WriteTxn& txn) { *found = txn.del(storage::Table::certificates, key); },
      [respond, found, hash](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not delete the certificate: " + error));
        respond(*found ? empty_response(204) : error_response(404, "unknown certificate " + hash));
      });
}

}  // namespace evbroker::actors::api
