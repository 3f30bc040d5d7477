#pragma once
// Version-independent access to the generated per-version tables: find an action by name, decode a
// request into its typed form, validate a response. Station actors and the management API use
// this instead of switching on versions or action names themselves.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "protocol/action_info.hpp"
#include "protocol/decode_error.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/version.hpp"

namespace evbroker::ocpp {

/// An action of one OCPP version.
struct ActionRef {
  ocpp::Version version = ocpp::Version::v201;
  std::size_t index = 0;  // the generated Action enum value
  const ocpp::ActionInfo* info = nullptr;
  std::string_view name() const { return info->name; }
};

/// The action named `name` in `version` (1.6 and 2.0.1; the node does not speak 2.1 yet).
std::optional<ActionRef> find_action(ocpp::Version version, std::string_view name);
ActionRef action_ref(ocpp16::Action action);
ActionRef action_ref(ocpp201::Action action);

/// A request decoded into the version's typed Request variant (one of the two is set).
struct DecodedRequest {
  std::shared_ptr<const ocpp16::Request> v16;
  std::shared_ptr<const ocpp201::Request> v201;
  ocpp::Tolerated tolerated;  // what tolerant mode let through
};

/// A typed request of either version as a DecodedRequest, with the action it belongs to:
/// typed_request(ocpp201::ResetRequest{...}) is 2.0.1 Reset.
template <class Message>
requires requires { ocpp16::ActionOf<Message>::value; }
std::pair<ActionRef, DecodedRequest> typed_request(Message message) {
  return {action_ref(ocpp16::ActionOf<Message>::value),
          DecodedRequest{std::make_shared<const ocpp16::Request>(std::move(message)), nullptr, {}}};
}
template <class Message>
requires requires { ocpp201::ActionOf<Message>::value; }
std::pair<ActionRef, DecodedRequest> typed_request(Message message) {
  return {action_ref(ocpp201::ActionOf<Message>::value),
          DecodedRequest{nullptr, std::make_shared<const ocpp201::Request>(std::move(message)), {}}};
}

/// A response decoded into the version's typed Response variant (one of the two is set).
struct DecodedResponse {
  std::shared_ptr<const ocpp16::Response> v16;
  std::shared_ptr<const ocpp201::Response> v201;
  ocpp::Tolerated tolerated;

  /// The response as `Message` (e.g. ocpp201::SetVariablesResponse); null when it holds another.
  template <class Message>
  const Message* as() const {
    if constexpr (requires { ocpp16::ActionOf<Message>::value; })
      return v16 ? std::get_if<Message>(v16.get()) : nullptr;
    else
      return v201 ? std::get_if<Message>(v201.get()) : nullptr;
  }
};

Expected<DecodedRequest, ocpp::DecodeError> decode_request(const ActionRef& action, std::string_view payload,
                                                           const ocpp::DecodeOptions& options = {});
/// The compact JSON of a decoded request (what goes on the wire for a CSMS call).
std::string encode_request(const DecodedRequest& request);
/// Decodes and validates a CALLRESULT payload as the response of the action.
Expected<DecodedResponse, ocpp::DecodeError> decode_response(const ActionRef& action, std::string_view payload,
                                                             const ocpp::DecodeOptions& options = {});
/// The `status` of a response ("Accepted", "Rejected", ...) for the actions whose response has
/// one; "" for the others.
std::string response_status(const DecodedResponse& response);

}  // namespace evbroker::ocpp
