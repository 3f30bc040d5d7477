#pragma once
// Private to pki/: owning pointers for the OpenSSL objects the library uses, DER/PEM/BIO plumbing,
// digests and the text of OpenSSL's error queue. Not part of the library's interface.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/x509.hpp"

namespace evbroker::pki::detail {

/// A deleter calling OpenSSL's free function for the type.
template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
struct OpensslStringDeleter {
  void operator()(char* p) const noexcept { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, FreeWith<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FreeWith<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, FreeWith<ASN1_TIME_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FreeWith<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<X509_EXTENSION_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, FreeWith<X509_REQ_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, FreeWith<X509_ALGOR_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FreeWith<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, FreeWith<GENERAL_NAME_free>>;
using InfoAccessPtr = std::unique_ptr<AUTHORITY_INFO_ACCESS, FreeWith<AUTHORITY_INFO_ACCESS_free>>;
using AccessDescriptionPtr = std::unique_ptr<ACCESS_DESCRIPTION, FreeWith<ACCESS_DESCRIPTION_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, FreeWith<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, FreeWith<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, FreeWith<OCSP_CERTID_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, FreeWith<PKCS7_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeWith<EVP_MD_CTX_free>>;
using OpensslString = std::unique_ptr<char, OpensslStringDeleter>;

/// "<what>: <library>: <reason>; ..." from OpenSSL's error queue, which it empties. Every failure
/// path calls this (or ERR_clear_error) so stale errors never leak into a later, unrelated message.
std::string openssl_error(std::string_view what);

/// A stack holding its own references to `certs` (null when out of memory).
X509StackPtr stack_of(const std::vector<Certificate>& certs);

/// A read-only memory BIO over `bytes` (which must outlive it).
BioPtr read_bio(std::string_view bytes);
BioPtr write_bio();
std::string bio_text(BIO* bio);

/// DER of any object with an i2d_* function.
template <class T, class I2d>
std::string to_der(I2d i2d, T* object) {
  const int length = i2d(object, nullptr);
  if (length <= 0) return {};
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d(object, &out);
  return der;
}

inline const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
inline std::string_view view_of(const unsigned char* data, int length) {
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(length)};
}
inline std::string_view view_of(const ASN1_STRING* s) {
  return view_of(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
}

/// SHA256 | SHA384 | SHA512 (case-insensitive, "SHA-256" too); nullptr for anything else.
const EVP_MD* digest_named(std::string_view algorithm);
/// The OCPP name ("SHA256", ...) of a digest NID; "" when it is not one of the three.
std::string digest_name_of_nid(int nid);
std::string digest(std::string_view bytes, const EVP_MD* md);

std::string to_hex(std::string_view bytes);  // lower case
std::optional<std::string> from_hex(std::string_view hex);
std::string strip_whitespace(std::string_view text);
/// Lower-case hex of a serial, no leading zeros ("0" for zero).
std::string serial_to_hex(const ASN1_INTEGER* serial);
std::string normalize_serial_hex(std::string_view hex);

std::int64_t to_unix_seconds(const ASN1_TIME* time);

/// The first entry of `nid` in a name, UTF-8; "" when absent.
std::string name_entry(const X509_NAME* name, int nid);
std::string name_one_line(const X509_NAME* name);  // RFC 2253
/// A name with CN and (when not empty) O.
X509NamePtr make_name(std::string_view common_name, std::string_view organization);

}  // namespace evbroker::pki::detail
