#pragma once
// How a Plug & Charge request reached the node, which decides how its answer and the calls that
// follow it go back: the security actor's PncRequest and SignRequestRecord's stored "channel" (a
// certificate signed later goes back the way it was asked for).

#include <optional>
#include <string_view>

namespace evbroker::actors {

enum class SignChannel {
  v201,     // 2.0.1 SignCertificate -> CertificateSigned
  v16,      // 1.6 security extension SignCertificate -> CertificateSigned
  v16_pnc,  // 1.6 DataTransfer org.openchargealliance.iso15118pnc SignCertificate -> DataTransfer CertificateSigned
};
/// The stored name: "ocpp2.0.1", "ocpp1.6", "ocpp1.6-iso15118pnc".
const char* to_string(SignChannel channel);
std::optional<SignChannel> sign_channel_from(std::string_view text);

}  // namespace evbroker::actors
