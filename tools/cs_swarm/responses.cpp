#include "tools/cs_swarm/responses.hpp"

#include <variant>

#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

namespace evbroker::swarm {
namespace {

template <class Action>
Action action_of(ocpp::Version version, Step step, bool (*parse)(std::string_view, Action&) noexcept) {
  Action action{};
  parse(action_name(step, version), action);  // every step names an action of both versions
  return action;
}

std::string describe_failure(std::string_view action, const ocpp::DecodeError& error) {
  std::string out(action);
  out += ": ";
  out += error.pointer.empty() ? std::string("payload") : error.pointer;
  out += ": ";
  out += ocpp::describe(error.code);
  return out;  // the detail is left out: it carries values, and kinds must stay few
}

CheckedAnswer check_16(Step step, std::string_view payload) {
  CheckedAnswer out;
  ocpp16::Response response;
  auto result = ocpp16::decode_response(action_of(ocpp::Version::v16, step, &ocpp16::parse_action), payload, response);
  if (!result) {
    out.error = describe_failure(action_name(step, ocpp::Version::v16), result.error());
    return out;
  }
  out.valid = true;
  if (auto* boot = std::get_if<ocpp16::BootNotificationResponse>(&response)) {
    out.boot_accepted = boot->status == ocpp16::RegistrationStatus::Accepted;
    out.interval_s = boot->interval;
  } else if (auto* start = std::get_if<ocpp16::StartTransactionResponse>(&response)) {
    out.transaction_16 = start->transactionId;
  } else if (auto* sign = std::get_if<ocpp16::SignCertificateResponse>(&response)) {
    out.sign_status = std::string(ocpp16::to_string(sign->status));
  }
  return out;
}

CheckedAnswer check_201(Step step, std::string_view payload) {
  CheckedAnswer out;
  ocpp201::Response response;
  auto result =
      ocpp201::decode_response(action_of(ocpp::Version::v201, step, &ocpp201::parse_action), payload, response);
  if (!result) {
    out.error = describe_failure(action_name(step, ocpp::Version::v201), result.error());
    return out;
  }
  out.valid = true;
  if (auto* boot = std::get_if<ocpp201::BootNotificationResponse>(&response)) {
    out.boot_accepted = boot->status == ocpp201::RegistrationStatusEnumType::Accepted;
    out.interval_s = boot->interval;
  } else if (auto* sign = std::get_if<ocpp201::SignCertificateResponse>(&response)) {
    out.sign_status = std::string(ocpp201::to_string(sign->status));
  }
  return out;
}

template <class Request, class Action>
CheckedRequest check_request(Action action, std::string_view payload,
                             ocpp::DecodeResult (*decode)(Action, std::string_view, Request&,
                                                          const ocpp::DecodeOptions&)) {
  CheckedRequest out;
  Request request;
  auto result = decode(action, payload, request, {});
  if (!result) {
    out.error = describe_failure("CertificateSigned request", result.error());
    out.error_code = ocpp::error_code_for(result.error().code);
    return out;
  }
  out.valid = true;
  return out;
}

}  // namespace

CheckedAnswer check_answer(ocpp::Version version, Step step, std::string_view payload) {
  return version == ocpp::Version::v16 ? check_16(step, payload) : check_201(step, payload);
}

CheckedRequest check_certificate_signed(ocpp::Version version, std::string_view payload) {
  if (version == ocpp::Version::v16)
    return check_request<ocpp16::Request>(ocpp16::Action::CertificateSigned, payload, &ocpp16::decode_request);
  return check_request<ocpp201::Request>(ocpp201::Action::CertificateSigned, payload, &ocpp201::decode_request);
}

}  // namespace evbroker::swarm
