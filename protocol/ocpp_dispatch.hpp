#pragma once
// Version-independent access to the generated per-version tables: find an action by name, decode a
// request into its typed form, validate a response. Station actors and the management API use
// this instead of switching on versions or action names themselves.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

/// A request decoded into the version's typed Request variant (one of the two is set).
struct DecodedRequest {
  std::shared_ptr<const ocpp16::Request> v16;
  std::shared_ptr<const ocpp201::Request> v201;
  ocpp::Tolerated tolerated;  // what tolerant mode let through
};

Expected<DecodedRequest, ocpp::DecodeError> decode_request(const ActionRef& action, std::string_view payload,
                                                           const ocpp::DecodeOptions& options = {});
/// The compact JSON of a decoded request (what goes on the wire for a CSMS call).
std::string encode_request(const DecodedRequest& request);
/// Checks a CALLRESULT payload against the response schema of the action.
ocpp::DecodeResult validate_response(const ActionRef& action, std::string_view payload,
                                     const ocpp::DecodeOptions& options = {});

}  // namespace evbroker::ocpp
