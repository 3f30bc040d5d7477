#pragma once
// The two encodings of a station password: the HTTP Basic header a station sends, and MaEVe's
// base64SHA256Password the management API takes at registration. (A few lines of OpenSSL: this
// predates cs_swarm linking pki/, which it does only for the pnc scenario's CSRs.)

#include <string>
#include <string_view>

namespace evbroker::swarm {

std::string base64(std::string_view bytes);
/// "Basic " + base64(user ":" password).
std::string basic_authorization(std::string_view user, std::string_view password);
/// base64(SHA-256(password)).
std::string base64_sha256(std::string_view password);

}  // namespace evbroker::swarm
