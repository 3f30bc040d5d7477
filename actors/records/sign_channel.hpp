#pragma once
// How a station asked for a certificate to be signed, which decides how the certificate goes back to
// it (SignRequestRecord's "channel").

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
