#pragma once
// Checks every answer the server sends with the protocol layer's generated decoders (the same
// strict validation the node applies to stations), and reads the few fields a station acts on.
// A server that answers fast but wrong must not look good: anything invalid is an error by kind.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error_codes.hpp"
#include "protocol/version.hpp"
#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {

struct CheckedAnswer {
  bool valid = false;
  std::string error;  // when invalid: "<action>: <pointer>: <what>"
  // read from valid answers
  std::optional<bool> boot_accepted;           // BootNotification: status == Accepted
  std::optional<std::int64_t> interval_s;      // BootNotification: heartbeat interval / retry wait
  std::optional<std::int64_t> transaction_16;  // 1.6 StartTransaction: the transaction id
  std::optional<std::string> sign_status;      // SignCertificate: "Accepted" or "Rejected"
};

/// Validates a CALLRESULT payload as the response to `step` in `version`.
CheckedAnswer check_answer(ocpp::Version version, Step step, std::string_view payload);

/// A CALL the server sent, checked like an answer: the station must not accept what a real one
/// would refuse.
struct CheckedRequest {
  bool valid = false;
  std::string error;             // when invalid: "<action>: <pointer>: <what>"
  ocpp::ErrorCode error_code{};  // when invalid: for the CALLERROR
};

/// Validates the payload of the server's CertificateSigned CALL in `version`.
CheckedRequest check_certificate_signed(ocpp::Version version, std::string_view payload);

}  // namespace evbroker::swarm
