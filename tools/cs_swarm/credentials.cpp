#include "tools/cs_swarm/credentials.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <vector>

namespace evbroker::swarm {

std::string base64(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int n =
      EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string pair(user);
  pair += ':';
  pair += password;
  return "Basic " + base64(pair);
}

std::string base64_sha256(std::string_view password) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  return base64(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace evbroker::swarm
