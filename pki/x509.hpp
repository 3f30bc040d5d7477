#pragma once
// X.509 certificates and keys as value types over OpenSSL 3 (RAII: every OpenSSL object is owned by
// exactly one unique_ptr; copies share nothing mutable). Everything here is pure computation: no
// files, no sockets.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "protocol/expected.hpp"

namespace evbroker::pki {

template <class T>
using Result = Expected<T, std::string>;  // the error says what was wrong, for a human

struct X509Deleter {
  void operator()(X509* p) const noexcept;
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept;
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

/// What kind of key a certificate or private key holds. TLS servers keep one certificate per kind
/// (OpenSSL has a slot for each), and the kind decides which TLS 1.2 cipher suites it can serve.
enum class KeyType { ec, rsa, other };
std::string_view key_type_name(KeyType type);  // "ECDSA", "RSA", "other"
KeyType key_type_of(const EVP_PKEY* key);

/// A private key (EC P-256 is what ISO 15118-2 and OCPP stations use; RSA keys are read too).
class PrivateKey {
 public:
  static Result<PrivateKey> generate_p256();
  /// For the TLS_RSA_* suites OCPP 2.0.1 A00.FR.318 requires of the CSMS (bits: 2048 or more).
  static Result<PrivateKey> generate_rsa(int bits);
  static Result<PrivateKey> from_pem(std::string_view pem);
  std::string pem() const;             // unencrypted PKCS#8 PEM
  std::string public_key_der() const;  // SubjectPublicKeyInfo DER
  KeyType type() const { return key_type_of(key_.get()); }
  EVP_PKEY* get() const { return key_.get(); }
  explicit PrivateKey(EvpPkeyPtr key) : key_(std::move(key)) {}

 private:
  std::shared_ptr<EVP_PKEY> key_;  // immutable after creation, so sharing it is safe
};

/// OCPP's CertificateHashDataType: how stations name a certificate (2.0.1 and the 1.6 security
/// extension). Hashes are over the issuer's DER-encoded name and the issuer's public key bits (as in
/// an OCSP CertID); hex strings, lower case; serial without leading zeros.
struct CertificateHashData {
  std::string hash_algorithm = "SHA256";  // SHA256 | SHA384 | SHA512
  std::string issuer_name_hash;
  std::string issuer_key_hash;
  std::string serial_number;
  /// Same certificate? (case-insensitive hex, leading zeros of the serial ignored)
  bool same_as(const CertificateHashData& other) const;
};

class Certificate {
 public:
  static Result<Certificate> from_pem(std::string_view pem);  // the first certificate in the text
  static Result<Certificate> from_der(std::string_view der);
  explicit Certificate(X509Ptr cert);

  std::string pem() const;
  std::string der() const;

  std::string subject() const;     // one line, RFC 2253 ("CN=CS001,O=Example")
  std::string subject_cn() const;  // "" when there is none
  std::string issuer_cn() const;
  std::string subject_organization() const;
  std::string serial_hex() const;   // lower case, no leading zeros
  std::int64_t not_before() const;  // unix seconds
  std::int64_t not_after() const;
  bool is_ca() const;                           // basicConstraints CA:TRUE
  bool self_signed() const;                     // subject == issuer and the signature verifies with its own key
  std::optional<std::string> ocsp_url() const;  // from authorityInfoAccess
  std::string public_key_der() const;
  KeyType key_type() const;

  /// MaEVe's certificate hash: SHA-256 of the DER bytes, base64url without padding (URL-safe, so
  /// it can be a path segment of /api/v0/certificate/{certificateHash}).
  std::string sha256_hash() const;
  /// OCPP hash data of this certificate, given the certificate that issued it.
  CertificateHashData hash_data(const Certificate& issuer, std::string_view algorithm = "SHA256") const;
  /// Did `issuer`'s key sign this certificate?
  bool signed_by(const Certificate& issuer) const;

  X509* get() const { return cert_.get(); }
  bool operator==(const Certificate& other) const;  // same DER

 private:
  std::shared_ptr<X509> cert_;  // immutable after creation
};

/// Every certificate of a PEM bundle, in order (leaf first when it is a chain). Fails on text that
/// holds no certificate or a damaged one.
Result<std::vector<Certificate>> parse_pem_chain(std::string_view pem);
std::string to_pem_chain(const std::vector<Certificate>& chain);

/// Hex of a digest of `bytes` (lower case). `algorithm`: SHA256 | SHA384 | SHA512.
std::string hex_digest(std::string_view bytes, std::string_view algorithm = "SHA256");
std::string base64url_encode(std::string_view bytes);  // no padding

}  // namespace evbroker::pki
