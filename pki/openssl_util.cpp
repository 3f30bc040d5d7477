#include "pki/openssl_util.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace evbroker::pki::detail {

std::string openssl_error(std::string_view what) {
  std::string text(what);
  const char* separator = ": ";
  while (const unsigned long code = ERR_get_error()) {
    text += separator;
    separator = "; ";
    const char* library = ERR_lib_error_string(code);
    const char* reason = ERR_reason_error_string(code);
    if (library) text += std::string(library) + ": ";
    text += reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
  }
  return text;
}

X509StackPtr stack_of(const std::vector<Certificate>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  if (!stack) return nullptr;
  for (const auto& cert : certs) {
    if (X509_up_ref(cert.get()) != 1) return nullptr;
    if (sk_X509_push(stack.get(), cert.get()) <= 0) {
      X509_free(cert.get());
      return nullptr;
    }
  }
  return stack;
}

BioPtr read_bio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

BioPtr write_bio() { return BioPtr(BIO_new(BIO_s_mem())); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return {};
  return {data, static_cast<std::size_t>(length)};
}

namespace {
std::string upper_without_dash(std::string_view text) {
  std::string out;
  for (const char c : text)
    if (c != '-') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

const EVP_MD* digest_named(std::string_view algorithm) {
  const std::string name = upper_without_dash(algorithm);
  if (name == "SHA256") return EVP_sha256();
  if (name == "SHA384") return EVP_sha384();
  if (name == "SHA512") return EVP_sha512();
  return nullptr;
}

std::string digest_name_of_nid(int nid) {
  switch (nid) {
    case NID_sha256: return "SHA256";
    case NID_sha384: return "SHA384";
    case NID_sha512: return "SHA512";
    default: return {};
  }
}

std::string digest(std::string_view bytes, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (md == nullptr || EVP_Digest(bytes.data(), bytes.size(), out, &length, md, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(view_of(out, static_cast<int>(length)));
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::string strip_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

std::string normalize_serial_hex(std::string_view hex) {
  std::string out;
  for (const char c : hex) {
    if (out.empty() && c == '0') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out.empty() ? "0" : out;
}

std::string serial_to_hex(const ASN1_INTEGER* serial) {
  const BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!number) return {};
  const OpensslString hex(BN_bn2hex(number.get()));
  return hex ? normalize_serial_hex(hex.get()) : std::string{};
}

std::int64_t to_unix_seconds(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&parts));
}

std::string name_entry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    ERR_clear_error();
    return {};
  }
  std::string text(view_of(utf8, length));
  OPENSSL_free(utf8);
  return text;
}

std::string name_one_line(const X509_NAME* name) {
  const BioPtr bio = write_bio();
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  return bio_text(bio.get());
}

X509NamePtr make_name(std::string_view common_name, std::string_view organization) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return nullptr;
  auto add = [&](int nid, std::string_view value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8, bytes_of(value), static_cast<int>(value.size()),
                                      -1, 0) == 1;
  };
  // O before CN, as X.500 orders names (the RFC 2253 text reverses it: "CN=...,O=...").
  if (!organization.empty() && !add(NID_organizationName, organization)) return nullptr;
  if (!add(NID_commonName, common_name)) return nullptr;
  return name;
}

}  // namespace evbroker::pki::detail
