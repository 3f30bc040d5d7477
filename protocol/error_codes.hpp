#pragma once
// The one place that decides which OCPP error code a failure earns, per version.
//
//   what went wrong                              2.0.1 / 2.1                    1.6
//   frame: not JSON, not an array, wrong arity,  RpcFrameworkError              FormationViolation
//          id or action not a string, id > 36
//   frame: unknown message type id               MessageTypeNotSupported        FormationViolation
//   frame: too large, nested too deep            FormatViolation                FormationViolation
//   payload: malformed, not an object,           FormatViolation                FormationViolation
//            unknown or duplicate property,
//            nested deeper than the limit
//   payload: wrong JSON type, number out of      TypeConstraintViolation        TypeConstraintViolation
//            range (integer beyond 64 bits, 1e400)
//   payload: missing required property,          OccurrenceConstraintViolation  OccurenceConstraintViolation
//            too few / too many array items
//   payload: enum value, maxLength, minimum,     PropertyConstraintViolation    PropertyConstraintViolation
//            maximum, multipleOf, date-time, URI
//   unknown action                               NotImplemented                 NotImplemented
//   action the receiver does not accept          NotSupported                   NotSupported
//
// 1.6 has no RpcFrameworkError or MessageTypeNotSupported; its FormationViolation ("syntactically
// incorrect or not conform the PDU structure") covers both. 1.6 spells "Occurence" with one r.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/decode_error.hpp"
#include "protocol/frame.hpp"
#include "protocol/version.hpp"

namespace evbroker::ocpp {

enum class ErrorCode : std::uint8_t {
  format_violation,
  generic_error,
  internal_error,
  message_type_not_supported,
  not_implemented,
  not_supported,
  occurrence_constraint_violation,
  property_constraint_violation,
  protocol_error,
  rpc_framework_error,
  security_error,
  type_constraint_violation,
};

/// The code as written in a CALLERROR of `version`.
std::string_view wire_name(ErrorCode code, Version version) noexcept;

ErrorCode error_code_for(DecodeErrc code) noexcept;
ErrorCode error_code_for(FrameErrc code) noexcept;

/// ErrorDescription is at most 255 characters in 2.0.1; longer texts are cut at a UTF-8 boundary.
inline constexpr std::size_t kMaxErrorDescription = 255;

/// Everything a CALLERROR needs except the message id.
struct CallError {
  std::string_view code;
  std::string description;
};

CallError call_error_for(Version version, const DecodeError& error);
CallError call_error_for(Version version, const FrameError& error);
CallError call_error_for(Version version, ErrorCode code, std::string_view description);

}  // namespace evbroker::ocpp
