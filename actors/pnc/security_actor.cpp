// The security actor's front: which CALLs are Plug & Charge, how each wire format is unwrapped into
// the 2.0.1 request and how answers and CSMS calls are wrapped back. The flows live in
// sign_flow.cpp, pnc_authorize.cpp and install_flow.cpp.

#include "actors/pnc/security_actor.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <spdlog/spdlog.h>

#include "actors/station/csms_call.hpp"
#include "actors/blocks/handler_kit.hpp"
#include "actors/blocks/blocks.hpp"
#include "protocol/ocpp_dispatch.hpp"
#include "actors/pnc/security_internal.hpp"
#include "protocol/ocpp16/codec.hpp"
#include "protocol/ocpp201/codec.hpp"

namespace evbroker::actors {
namespace pnc {

ocpp201::StatusInfoType status_info(std::string_view reason_code, std::string_view detail) {
  ocpp201::StatusInfoType info;
  info.reasonCode = std::string(reason_code.substr(0, 20));
  if (!detail.empty()) info.additionalInfo = std::string(detail.substr(0, 512));
  return info;
}

void answer(const PncRequest& r, std::string payload201) {
  switch (r.channel) {
    case SignChannel::v201: return reply(r.call, std::move(payload201));
    case SignChannel::v16_pnc: {
      ocpp16::DataTransferResponse response;
      response.status = ocpp16::DataTransferStatus::Accepted;
      response.data = std::move(payload201);
      return reply(r.call, ocpp::to_json(response));
    }
    case SignChannel::v16:
      // Its flow answers in the 1.6 form (answer_sign); reaching here is a bug of ours.
      return reply_error(r.call, ocpp::ErrorCode::internal_error, "no 1.6 form of this answer");
  }
}

namespace {

std::string describe_failure(const CsmsCallResult& result) {
  switch (result.kind) {
    case CsmsCallResult::Kind::result: return "answered " + ocpp::response_status(result.response);
    case CsmsCallResult::Kind::call_error: return "CALLERROR " + result.error_code + ": " + result.error_description;
    default: return result.error_description;
  }
}

}  // namespace

std::optional<ocpp::DecodedResponse> answer_of(const CsmsCallResult& result, std::optional<ocpp201::Action> inner,
                                               std::size_t max_depth, std::string& error) {
  if (result.kind != CsmsCallResult::Kind::result) {
    error = describe_failure(result);
    return std::nullopt;
  }
  if (!inner) return result.response;
  const auto* conf = result.response.as<ocpp16::DataTransferResponse>();
  if (!conf) {
    error = "not a DataTransfer.conf";
    return std::nullopt;
  }
  if (conf->status != ocpp16::DataTransferStatus::Accepted || !conf->data) {
    error = "DataTransfer.conf status " + std::string(ocpp16::to_string(conf->status)) +
            (conf->data ? "" : " without data");
    return std::nullopt;
  }
  auto decoded = ocpp::decode_response(ocpp::action_ref(*inner), *conf->data, {.max_depth = max_depth});
  if (!decoded) {
    const std::string name(ocpp201::info(*inner).name);
    error = "DataTransfer.conf data is not " +
            std::string(std::string_view("AEIOU").find(name[0]) == std::string_view::npos ? "a " : "an ") + name +
            " response: " + decoded.error().message();
    return std::nullopt;
  }
  return std::move(*decoded);
}

std::string answered_status(const CsmsCallResult& result, std::optional<ocpp201::Action> inner, std::size_t max_depth,
                            std::string& error) {
  auto response = answer_of(result, inner, max_depth, error);
  return response ? ocpp::response_status(*response) : std::string();
}

namespace {

template <class T>
std::shared_ptr<const ocpp201::Request> as_request(T message) {
  return std::make_shared<const ocpp201::Request>(std::move(message));
}

/// Runs the flow of a 2.0.1 request; false when it is not a Plug & Charge one.
bool dispatch(Self* self, const PncRequest& r) {
  return std::visit(
      Overloaded{
          [&](const ocpp201::SignCertificateRequest& m) { return on_sign_certificate(self, r, m), true; },
          [&](const ocpp201::AuthorizeRequest& m) { return on_authorize(self, r, m), true; },
          [&](const ocpp201::GetCertificateStatusRequest& m) { return on_get_certificate_status(self, r, m), true; },
          [&](const ocpp201::Get15118EVCertificateRequest& m) { return on_get_15118_ev_certificate(self, r, m), true; },
          [](const auto&) { return false; },
      },
      *r.request);
}

/// 1.6 DataTransfer iso15118pnc: data is a JSON string holding the 2.0.1 request of messageId.
void on_pnc_data_transfer(Self* self, const IncomingCall& call, const ocpp16::DataTransferRequest& request) {
  static constexpr std::string_view kMessages[] = {"Authorize", "GetCertificateStatus", "SignCertificate",
                                                   "Get15118EVCertificate"};
  auto refuse = [&](ocpp16::DataTransferStatus status, const std::string& why) {
    self->state.ctx->pki_log->warn("{}: DataTransfer {} refused: {}", call.station_id,
                                   request.messageId.value_or("(no messageId)"), why);
    ocpp16::DataTransferResponse response;
    response.status = status;
    reply(call, ocpp::to_json(response));
  };
  const std::string message_id = request.messageId.value_or("");
  if (std::find(std::begin(kMessages), std::end(kMessages), message_id) == std::end(kMessages))
    return refuse(ocpp16::DataTransferStatus::UnknownMessageId, "unknown messageId");
  auto action = find_action(ocpp::Version::v201, message_id);
  if (!action) return refuse(ocpp16::DataTransferStatus::UnknownMessageId, "unknown messageId");
  auto decoded = decode_request(*action, request.data.value_or(""),
                                {.tolerant = false, .max_depth = self->state.ctx->settings.max_json_depth});
  if (!decoded) return refuse(ocpp16::DataTransferStatus::Rejected, "data: " + decoded.error().message());
  dispatch(self, PncRequest{call, SignChannel::v16_pnc, decoded->v201});
}

void on_call(Self* self, const IncomingCall& call) {
  const auto& ctx = *self->state.ctx;
  if (call.v201) {
    if (const auto* authorize = std::get_if<ocpp201::AuthorizeRequest>(call.v201.get())) {
      if (!authorize->certificate && !authorize->iso15118CertificateHashData) return handle_authorization(ctx, call);
    }
    if (!dispatch(self, PncRequest{call, SignChannel::v201, call.v201}))
      reply_error(call, ocpp::ErrorCode::not_supported, "not a security message");
    return;
  }
  if (!call.v16) return;
  if (const auto* sign = std::get_if<ocpp16::SignCertificateRequest>(call.v16.get())) {
    ocpp201::SignCertificateRequest normalised;
    normalised.csr = sign->csr;
    normalised.certificateType = ocpp201::CertificateSigningUseEnumType::ChargingStationCertificate;
    return on_sign_certificate(self, PncRequest{call, SignChannel::v16, as_request(normalised)}, normalised);
  }
  if (const auto* transfer = std::get_if<ocpp16::DataTransferRequest>(call.v16.get())) {
    if (transfer->vendorId == kPncVendor) return on_pnc_data_transfer(self, call, *transfer);
    return handle_data_transfer(ctx, call);
  }
  reply_error(call, ocpp::ErrorCode::not_supported, "not a security message");
}

SecurityActor::behavior_type security(Self* self, NodeContextPtr ctx) {
  self->state.ctx = std::move(ctx);
  for (const auto& file : self->state.ctx->pnc.root_files) {
    // Files were checked when the configuration was read; a bad one here is only logged.
    std::ifstream in(file);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto certs = pki::parse_pem_chain(pem);
    if (!certs) {
      self->state.ctx->pki_log->error("contract roots {}: {}", file, certs.error());
      continue;
    }
    for (auto& c : *certs) self->state.configured_roots.push_back(std::move(c));
  }
  return {
      [self](stop_atom) { self->quit(); },
      [self](handle_atom, const IncomingCall& call) {
        try {
          on_call(self, call);
        } catch (const std::exception& e) {
          self->state.ctx->handler_log->error("{}: handling {} failed: {}", call.station_id, call.message_id, e.what());
          reply_error(call, ocpp::ErrorCode::internal_error, "internal error");
        }
      },
      [self](booted_atom, const std::string& station_id) { on_station_booted(self, station_id); },
      [self](install_atom, const std::string& station_id) { send_pending_installs(self, station_id); },
      [self](installed_atom, const std::string& station_id, bool answered) {
        on_install_stored(self, station_id, answered);
      },
      [self](retry_atom, const std::string& station_id, const std::string& type) {
        deliver_certificate(self, station_id, type);
      },
      [self](sign_now_atom, const std::string& station_id, const std::string& type) {
        sign_stored_request(self, station_id, type);
      },
      [self](hold_atom, const std::string& key) { return hold_certificate_work(self, key); },
      [self](release_atom, const std::string& key) { self->state.held.erase(key); },
  };
}

}  // namespace
}  // namespace pnc

SecurityActor spawn_security_actor(caf::actor_system& system, NodeContextPtr ctx) {
  return system.spawn(pnc::security, std::move(ctx));
}

}  // namespace evbroker::actors
