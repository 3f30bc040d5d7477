#include "pki/password.hpp"

#include <array>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace evbroker::pki {
namespace {

std::array<unsigned char, 32> sha256(std::string_view a, std::string_view b = {}) {
  std::array<unsigned char, 32> digest{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
  unsigned int length = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 && EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-256 failed");
  return digest;
}

std::string_view as_view(const std::array<unsigned char, 32>& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  out.assign(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return false;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return true;
}

std::string base64_sha256(std::string_view text) { return base64_encode(as_view(sha256(text))); }

SaltedHash hash_api_password(std::string_view base64_sha256_password) {
  std::array<unsigned char, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string_view salt_view{reinterpret_cast<const char*>(salt.data()), salt.size()};
  return {base64_encode(salt_view), base64_encode(as_view(sha256(salt_view, base64_sha256_password)))};
}

bool verify_api_password(std::string_view base64_sha256_password, const SaltedHash& stored) {
  std::string salt;
  if (!base64_decode(stored.salt, salt)) return false;
  const std::string candidate = base64_encode(as_view(sha256(salt, base64_sha256_password)));
  if (candidate.size() != stored.hash.size()) return false;
  return CRYPTO_memcmp(candidate.data(), stored.hash.data(), candidate.size()) == 0;
}

bool verify_password(std::string_view password, const SaltedHash& stored) {
  return verify_api_password(base64_sha256(password), stored);
}

}  // namespace evbroker::pki
