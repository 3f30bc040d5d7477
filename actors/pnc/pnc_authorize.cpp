// The Plug & Charge requests that need a back end: Authorize with a contract certificate or its
// hash data (chain verification + OCSP, MaEVe's result mapping), GetCertificateStatus (OCSP on the
// station's behalf) and Get15118EVCertificate (the contract certificate pool). Each answers when
// the back end has, never blocking the actor.

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "actors/blocks/authorization.hpp"
#include "actors/blocks/handler_kit.hpp"
#include "actors/pnc/security_internal.hpp"
#include "pki/ocsp.hpp"
#include "pki/password.hpp"
#include "pki/verify.hpp"
#include "protocol/ocpp201/codec.hpp"

namespace evbroker::actors::pnc {
namespace {

using CertStatus = ocpp201::AuthorizeCertificateStatusEnumType;

const BackendActor& backend(Self* self) { return self->state.ctx->router->backend(); }

/// eMAIDs are compared without separators and case ("DE-ABC-C12345678-X" == "DEABCC12345678X").
std::string normalise_emaid(std::string_view text) {
  std::string out;
  for (unsigned char c : text)
    if (c != '-' && c != '*') out += static_cast<char>(std::toupper(c));
  return out;
}

void answer_authorize(const PncRequest& r, ocpp201::IdTokenInfoType info, std::optional<CertStatus> status) {
  ocpp201::AuthorizeResponse response;
  response.idTokenInfo = std::move(info);
  response.certificateStatus = status;
  answer(r, ocpp::to_json(response));
}

/// MaEVe's mapping: a certificate that fails verification blocks the token.
void answer_blocked(Self* self, const PncRequest& r, CertStatus status, const std::string& why) {
  self->state.ctx->pki_log->info("{}: Authorize with certificate: {} ({})", r.call.station_id,
                                 ocpp201::to_string(status), why);
  ocpp201::IdTokenInfoType info;
  info.status = ocpp201::AuthorizationStatusEnumType::Blocked;
  answer_authorize(r, std::move(info), status);
}

/// The certificate checks passed: the eMAID must also be an accepted token.
void answer_with_token(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request) {
  auto verdict = judge_token(self->state.ctx->store->read(), self->state.ctx->clock->now_ms(), request.idToken.idToken,
                             r.call.station_id, "");
  answer_authorize(r, to_id_token_info(verdict), CertStatus::Accepted);
}

/// We could not learn the revocation status: not authorised here, but not a verdict on the
/// certificate either (no certificateStatus), so the station may try another way.
void answer_undetermined(Self* self, const PncRequest& r, const std::string& why) {
  self->state.ctx->pki_log->warn("{}: Authorize with certificate undetermined: {}", r.call.station_id, why);
  ocpp201::IdTokenInfoType info;
  info.status = ocpp201::AuthorizationStatusEnumType::Unknown;
  answer_authorize(r, std::move(info), std::nullopt);
}

using OcspDone = std::function<void(std::optional<pki::OcspAnswer>, std::string error)>;

/// One OCSP exchange: request built from hash data, answer verified against `trust`.
void ask_ocsp(Self* self, const std::string& url, const pki::CertificateHashData& id,
              std::vector<pki::Certificate> trust, OcspDone done) {
  auto request = pki::make_ocsp_request(id);
  if (!request) return done(std::nullopt, request.error());
  self->request(backend(self), caf::infinite, ocsp_atom::value, url, *request)
      .then([id, trust = std::move(trust), done](BackendReply& reply) {
        if (!reply.ok) return done(std::nullopt, reply.error);
        auto parsed = pki::parse_ocsp_response(reply.value, id, trust);
        if (!parsed) return done(std::nullopt, "OCSP answer: " + parsed.error());
        done(*parsed, {});
      });
}

pki::CertificateHashData hash_data_of(const ocpp201::OCSPRequestDataType& d) {
  pki::CertificateHashData h;
  h.hash_algorithm = std::string(ocpp201::to_string(d.hashAlgorithm));
  h.issuer_name_hash = d.issuerNameHash;
  h.issuer_key_hash = d.issuerKeyHash;
  h.serial_number = d.serialNumber;
  return h;
}

void authorize_with_certificate(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request,
                                const std::vector<pki::Certificate>& anchors) {
  auto chain = pki::parse_pem_chain(*request.certificate);
  if (!chain || chain->empty())
    return answer_blocked(self, r, CertStatus::CertChainError, chain ? "no certificate" : chain.error());
  const auto& leaf = chain->front();
  std::vector<pki::Certificate> intermediates(chain->begin() + 1, chain->end());
  pki::VerifyOptions options;
  options.partial_chain = false;  // a contract certificate must lead to a V2G or MO root
  auto verification = pki::verify_chain(leaf, intermediates, anchors, options);
  switch (verification.verdict) {
    case pki::ChainVerdict::valid: break;
    case pki::ChainVerdict::expired:
      return answer_blocked(self, r, CertStatus::CertificateExpired, verification.detail);
    case pki::ChainVerdict::signature_error:
      return answer_blocked(self, r, CertStatus::SignatureError, verification.detail);
    case pki::ChainVerdict::chain_error:
      return answer_blocked(self, r, CertStatus::CertChainError, verification.detail);
  }
  if (normalise_emaid(leaf.subject_cn()) != normalise_emaid(request.idToken.idToken)) {
    self->state.ctx->pki_log->info("{}: Authorize: certificate names {}, token is {}", r.call.station_id,
                                   leaf.subject_cn(), request.idToken.idToken);
    ocpp201::IdTokenInfoType info;
    info.status = ocpp201::AuthorizationStatusEnumType::Invalid;
    return answer_authorize(r, std::move(info), CertStatus::Accepted);
  }
  auto url = leaf.ocsp_url();
  if (!url || verification.path.size() < 2) {
    self->state.ctx->pki_log->warn("{}: contract certificate {} names no OCSP responder; revocation not checked",
                                   r.call.station_id, leaf.subject_cn());
    return answer_with_token(self, r, request);
  }
  const auto& issuer = verification.path[1];
  std::vector<pki::Certificate> trust(verification.path.begin() + 1, verification.path.end());
  ask_ocsp(self, *url, leaf.hash_data(issuer), std::move(trust),
           [self, r, request](std::optional<pki::OcspAnswer> answer, std::string error) {
             if (!answer) return answer_undetermined(self, r, error);
             if (answer->status == pki::OcspCertStatus::revoked)
               return answer_blocked(self, r, CertStatus::CertificateRevoked, "revoked per OCSP");
             if (answer->status == pki::OcspCertStatus::unknown)
               return answer_undetermined(self, r, "the OCSP responder does not know the certificate");
             answer_with_token(self, r, request);
           });
}

/// The station sent only hash data of the contract chain (it checked the chain itself): ask each
/// named responder; any revoked certificate blocks.
void authorize_with_hash_data(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request,
                              std::vector<pki::Certificate> anchors) {
  struct Progress {
    std::size_t waiting = 0;
    bool revoked = false;
    std::string undetermined;
  };
  const auto& entries = *request.iso15118CertificateHashData;
  if (entries.empty()) return answer_with_token(self, r, request);
  auto progress = std::make_shared<Progress>();
  progress->waiting = entries.size();
  for (const auto& entry : entries) {
    ask_ocsp(self, entry.responderURL, hash_data_of(entry), anchors,
             [self, r, request, progress](std::optional<pki::OcspAnswer> answer, std::string error) {
               if (!answer)
                 progress->undetermined = error;
               else if (answer->status == pki::OcspCertStatus::revoked)
                 progress->revoked = true;
               else if (answer->status == pki::OcspCertStatus::unknown)
                 progress->undetermined = "unknown to the responder";
               if (--progress->waiting > 0) return;
               if (progress->revoked)
                 return answer_blocked(self, r, CertStatus::CertificateRevoked, "revoked per OCSP");
               if (!progress->undetermined.empty()) return answer_undetermined(self, r, progress->undetermined);
               answer_with_token(self, r, request);
             });
  }
}

}  // namespace

void with_contract_anchors(Self* self, std::function<void(std::vector<pki::Certificate>)> then) {
  auto& st = self->state;
  auto anchors = st.configured_roots;
  anchors.push_back(st.ctx->local_pki->v2g_root().certificate());
  const bool stale = std::chrono::steady_clock::now() - st.hubject_roots_at > st.ctx->pnc.root_cache_ttl;
  if (st.ctx->pnc.hubject_url.empty() || !stale) {
    anchors.insert(anchors.end(), st.hubject_roots.begin(), st.hubject_roots.end());
    return then(std::move(anchors));
  }
  self->request(backend(self), caf::infinite, roots_atom::value)
      .then([self, anchors, then](BackendReply& reply) mutable {
        if (reply.ok) {
          if (auto roots = pki::parse_pem_chain(reply.value)) {
            self->state.hubject_roots = std::move(*roots);
            self->state.hubject_roots_at = std::chrono::steady_clock::now();
          }
        } else {
          // Keep what we had: an outage of the root list must not stop charging.
          self->state.ctx->pki_log->warn("root certificates not refreshed: {}", reply.error);
        }
        anchors.insert(anchors.end(), self->state.hubject_roots.begin(), self->state.hubject_roots.end());
        then(std::move(anchors));
      });
}

void on_authorize(Self* self, const PncRequest& r, const ocpp201::AuthorizeRequest& request) {
  with_contract_anchors(self, [self, r, request](std::vector<pki::Certificate> anchors) {
    if (request.certificate) return authorize_with_certificate(self, r, request, anchors);
    authorize_with_hash_data(self, r, request, std::move(anchors));
  });
}

void on_get_certificate_status(Self* self, const PncRequest& r, const ocpp201::GetCertificateStatusRequest& request) {
  auto failed = [r](std::string_view reason, const std::string& detail) {
    ocpp201::GetCertificateStatusResponse response;
    response.status = ocpp201::GetCertificateStatusEnumType::Failed;
    response.statusInfo = status_info(reason, detail);
    answer(r, ocpp::to_json(response));
  };
  auto ocsp_request = pki::make_ocsp_request(hash_data_of(request.ocspRequestData));
  if (!ocsp_request) return failed("InvalidHashData", ocsp_request.error());
  self->request(backend(self), caf::infinite, ocsp_atom::value, request.ocspRequestData.responderURL, *ocsp_request)
      .then([self, r, failed](BackendReply& reply) {
        if (!reply.ok) {
          self->state.ctx->pki_log->warn("{}: GetCertificateStatus: {}", r.call.station_id, reply.error);
          return failed("OCSPUnavailable", reply.error);
        }
        ocpp201::GetCertificateStatusResponse response;
        response.status = ocpp201::GetCertificateStatusEnumType::Accepted;
        response.ocspResult = pki::base64_encode(reply.value);
        if (response.ocspResult->size() > 5500)
          return failed("ResponseTooLarge", "the OCSP response exceeds 5500 characters");
        answer(r, ocpp::to_json(response));
      });
}

void on_get_15118_ev_certificate(Self* self, const PncRequest& r,
                                 const ocpp201::Get15118EVCertificateRequest& request) {
  auto failed = [r](std::string_view reason, const std::string& detail) {
    ocpp201::Get15118EVCertificateResponse response;
    response.status = ocpp201::Iso15118EVCertificateStatusEnumType::Failed;
    response.statusInfo = status_info(reason, detail);
    answer(r, ocpp::to_json(response));
  };
  if (self->state.ctx->pnc.hubject_url.empty())
    return failed("NoContractPool", "no contract certificate pool is configured (--hubject-url)");
  self->request(backend(self), caf::infinite, contract_atom::value, request.exiRequest, request.iso15118SchemaVersion)
      .then([self, r, failed](BackendReply& reply) {
        if (!reply.ok) {
          self->state.ctx->pki_log->warn("{}: Get15118EVCertificate: {}", r.call.station_id, reply.error);
          return failed(reply.http_status == 404 ? "NoContract" : "BackendError", reply.error);
        }
        if (reply.value.size() > 5600) return failed("ResponseTooLarge", "the EXI response exceeds 5600 characters");
        ocpp201::Get15118EVCertificateResponse response;
        response.status = ocpp201::Iso15118EVCertificateStatusEnumType::Accepted;
        response.exiResponse = std::move(reply.value);
        answer(r, ocpp::to_json(response));
      });
}

}  // namespace evbroker::actors::pnc
