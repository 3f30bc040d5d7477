#include "protocol/ocpp_dispatch.hpp"

#include "protocol/json_writer.hpp"

namespace evbroker::ocpp {
namespace {

template <class Action>
std::optional<ActionRef> find_in(ocpp::Version version, std::string_view name,
                                 bool (*parse)(std::string_view, Action&) noexcept,
                                 const ocpp::ActionInfo& (*info)(Action) noexcept) {
  Action a{};
  if (!parse(name, a)) return std::nullopt;
  return ActionRef{version, static_cast<std::size_t>(a), &info(a)};
}

}  // namespace

std::optional<ActionRef> find_action(ocpp::Version version, std::string_view name) {
  switch (version) {
    case ocpp::Version::v16: return find_in<ocpp16::Action>(version, name, &ocpp16::parse_action, &ocpp16::info);
    case ocpp::Version::v201: return find_in<ocpp201::Action>(version, name, &ocpp201::parse_action, &ocpp201::info);
    case ocpp::Version::v21: return std::nullopt;
  }
  return std::nullopt;
}

ActionRef action_ref(ocpp16::Action action) {
  return ActionRef{ocpp::Version::v16, static_cast<std::size_t>(action), &ocpp16::info(action)};
}

ActionRef action_ref(ocpp201::Action action) {
  return ActionRef{ocpp::Version::v201, static_cast<std::size_t>(action), &ocpp201::info(action)};
}

Expected<DecodedRequest, ocpp::DecodeError> decode_request(const ActionRef& action, std::string_view payload,
                                                           const ocpp::DecodeOptions& options) {
  DecodedRequest out;
  if (action.version == ocpp::Version::v16) {
    auto request = std::make_shared<ocpp16::Request>();
    auto result = ocpp16::decode_request(static_cast<ocpp16::Action>(action.index), payload, *request, options);
    if (!result) return Unexpected(std::move(result.error()));
    out.tolerated = std::move(*result);
    out.v16 = std::move(request);
  } else {
    auto request = std::make_shared<ocpp201::Request>();
    auto result = ocpp201::decode_request(static_cast<ocpp201::Action>(action.index), payload, *request, options);
    if (!result) return Unexpected(std::move(result.error()));
    out.tolerated = std::move(*result);
    out.v201 = std::move(request);
  }
  return out;
}

std::string encode_request(const DecodedRequest& request) {
  std::string out;
  ocpp::JsonWriter w(out);
  if (request.v16)
    ocpp16::encode(w, *request.v16);
  else if (request.v201)
    ocpp201::encode(w, *request.v201);
  return out;
}

Expected<DecodedResponse, ocpp::DecodeError> decode_response(const ActionRef& action, std::string_view payload,
                                                             const ocpp::DecodeOptions& options) {
  DecodedResponse out;
  if (action.version == ocpp::Version::v16) {
    auto response = std::make_shared<ocpp16::Response>();
    auto result = ocpp16::decode_response(static_cast<ocpp16::Action>(action.index), payload, *response, options);
    if (!result) return Unexpected(std::move(result.error()));
    out.tolerated = std::move(*result);
    out.v16 = std::move(response);
  } else {
    auto response = std::make_shared<ocpp201::Response>();
    auto result = ocpp201::decode_response(static_cast<ocpp201::Action>(action.index), payload, *response, options);
    if (!result) return Unexpected(std::move(result.error()));
    out.tolerated = std::move(*result);
    out.v201 = std::move(response);
  }
  return out;
}

namespace {

/// The status member of a response as its wire name; every generated enum has a to_string in its
/// namespace, found by argument-dependent lookup.
struct StatusOf {
  template <class Response>
  std::string operator()(const Response& response) const {
    if constexpr (requires { to_string(response.status); })
      return std::string(to_string(response.status));
    else
      return {};
  }
};

}  // namespace

std::string response_status(const DecodedResponse& response) {
  if (response.v16) return std::visit(StatusOf{}, *response.v16);
  if (response.v201) return std::visit(StatusOf{}, *response.v201);
  return {};
}

}  // namespace evbroker::ocpp
