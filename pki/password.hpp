#pragma once
// Station passwords (security profiles 1 and 2 use HTTP Basic auth). The management API is given
// MaEVe's `base64SHA256Password` = base64(SHA-256(password)); we never keep even that: the store
// holds a random salt and base64(SHA-256(salt || base64SHA256Password)). A station's password is
// checked by recomputing both hashes and comparing in constant time.

#include <string>
#include <string_view>

namespace evbroker::pki {

/// base64(SHA-256(text)): MaEVe's form of a password as the API receives it.
std::string base64_sha256(std::string_view text);

struct SaltedHash {
  std::string salt;  // base64 of 16 random bytes
  std::string hash;  // base64(SHA-256(salt bytes || base64SHA256Password))
};

/// Salts and hashes what the API was given (a base64SHA256Password).
SaltedHash hash_api_password(std::string_view base64_sha256_password);

/// True when `password` (clear text, as the station sends it) matches the stored hash.
/// Constant time in the length of the hashes.
bool verify_password(std::string_view password, const SaltedHash& stored);
/// The same for what the API is given (a base64SHA256Password): is it the stored one?
bool verify_api_password(std::string_view base64_sha256_password, const SaltedHash& stored);

std::string base64_encode(std::string_view bytes);
/// Standard alphabet with padding; false on malformed input.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace evbroker::pki
