#include "protocol/error_codes.hpp"

namespace evbroker::ocpp {

std::string_view wire_name(ErrorCode code, Version version) noexcept {
  bool v16 = version == Version::v16;
  switch (code) {
    case ErrorCode::format_violation: return v16 ? "FormationViolation" : "FormatViolation";
    case ErrorCode::generic_error: return "GenericError";
    case ErrorCode::internal_error: return "InternalError";
    case ErrorCode::message_type_not_supported: return v16 ? "FormationViolation" : "MessageTypeNotSupported";
    case ErrorCode::not_implemented: return "NotImplemented";
    case ErrorCode::not_supported: return "NotSupported";
    case ErrorCode::occurrence_constraint_violation:
      return v16 ? "OccurenceConstraintViolation" : "OccurrenceConstraintViolation";
    case ErrorCode::property_constraint_violation: return "PropertyConstraintViolation";
    case ErrorCode::protocol_error: return "ProtocolError";
    case ErrorCode::rpc_framework_error: return v16 ? "FormationViolation" : "RpcFrameworkError";
    case ErrorCode::security_error: return "SecurityError";
    case ErrorCode::type_constraint_violation: return "TypeConstraintViolation";
  }
  return "GenericError";
}

ErrorCode error_code_for(DecodeErrc code) noexcept {
  switch (code) {
    case DecodeErrc::invalid_json:
    case DecodeErrc::unknown_property:
    case DecodeErrc::duplicate_property:
    case DecodeErrc::too_deep: return ErrorCode::format_violation;
    case DecodeErrc::wrong_type:
    case DecodeErrc::integer_out_of_range: return ErrorCode::type_constraint_violation;
    case DecodeErrc::missing_property:
    case DecodeErrc::too_few_items:
    case DecodeErrc::too_many_items: return ErrorCode::occurrence_constraint_violation;
    case DecodeErrc::invalid_enum_value:
    case DecodeErrc::string_too_long:
    case DecodeErrc::below_minimum:
    case DecodeErrc::above_maximum:
    case DecodeErrc::not_multiple_of:
    case DecodeErrc::invalid_date_time:
    case DecodeErrc::invalid_uri: return ErrorCode::property_constraint_violation;
  }
  return ErrorCode::generic_error;
}

ErrorCode error_code_for(FrameErrc code) noexcept {
  switch (code) {
    case FrameErrc::too_large:
    case FrameErrc::too_deep:
    case FrameErrc::bad_payload: return ErrorCode::format_violation;
    case FrameErrc::unknown_message_type: return ErrorCode::message_type_not_supported;
    case FrameErrc::not_json:
    case FrameErrc::not_array:
    case FrameErrc::wrong_arity:
    case FrameErrc::bad_message_type:
    case FrameErrc::bad_message_id:
    case FrameErrc::message_id_too_long:
    case FrameErrc::bad_action:
    case FrameErrc::bad_error_fields: return ErrorCode::rpc_framework_error;
  }
  return ErrorCode::generic_error;
}

CallError call_error_for(Version version, ErrorCode code, std::string_view description) {
  if (description.size() > kMaxErrorDescription) {
    std::size_t cut = kMaxErrorDescription;
    while (cut > 0 && (static_cast<unsigned char>(description[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
    description = description.substr(0, cut);
  }
  return CallError{wire_name(code, version), std::string(description)};
}

CallError call_error_for(Version version, const DecodeError& error) {
  return call_error_for(version, error_code_for(error.code), error.message());
}

CallError call_error_for(Version version, const FrameError& error) {
  std::string description(describe(error.code));
  if (!error.detail.empty()) description.append(": ").append(error.detail);
  return call_error_for(version, error_code_for(error.code), description);
}

}  // namespace evbroker::ocpp
