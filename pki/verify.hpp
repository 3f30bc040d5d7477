#pragma once
// Chain verification with the outcomes OCPP and MaEVe distinguish (Authorize with a contract
// certificate, profile 3 client certificates, installed roots).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pki/x509.hpp"

namespace evbroker::pki {

enum class ChainVerdict {
  valid,
  expired,          // a certificate of the path is past notAfter (or before notBefore)
  chain_error,      // no path to a trust anchor, a CA flag or usage missing, path too long
  signature_error,  // a signature in the path does not verify
};
const char* to_string(ChainVerdict verdict);  // "valid" "expired" "chain_error" "signature_error"

struct ChainVerification {
  ChainVerdict verdict = ChainVerdict::chain_error;
  std::string detail;             // OpenSSL's reason and the subject it failed on, for logs and the API
  std::vector<Certificate> path;  // valid: leaf first, trust anchor last
};

struct VerifyOptions {
  std::optional<std::int64_t> at;  // unix seconds to verify at; now when empty
  /// Accept a path that ends at any certificate of `anchors`, even one that is not self-signed
  /// (a sub-CA configured as the trust store, as for profile 3 by default).
  bool partial_chain = true;
};

/// Verifies `leaf` through `intermediates` (any order; unrelated ones are ignored) to one of
/// `anchors`.
ChainVerification verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                               const std::vector<Certificate>& anchors, const VerifyOptions& options = {});

}  // namespace evbroker::pki
