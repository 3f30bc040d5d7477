#include "pki/x509.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "pki/openssl_util.hpp"
#include "pki/password.hpp"

namespace evbroker::pki {

using namespace detail;

void X509Deleter::operator()(X509* p) const noexcept { X509_free(p); }
void EvpPkeyDeleter::operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }

namespace {

// Keys are stored unencrypted; without this callback OpenSSL would prompt on the terminal when it
// meets an encrypted one.
int no_passphrase(char*, int, int, void*) { return 0; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

// ---- key types -------------------------------------------------------------------------------------

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::ec: return "ECDSA";
    case KeyType::rsa: return "RSA";
    case KeyType::other: break;
  }
  return "other";
}

KeyType key_type_of(const EVP_PKEY* key) {
  if (key == nullptr) return KeyType::other;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: return KeyType::ec;
    case EVP_PKEY_RSA: return KeyType::rsa;
    default: return KeyType::other;
  }
}

// ---- PrivateKey ------------------------------------------------------------------------------------

Result<PrivateKey> PrivateKey::generate_rsa(int bits) {
  if (bits < 2048) return Unexpected("an RSA key needs at least 2048 bits, asked for " + std::to_string(bits));
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!key) return Unexpected(openssl_error("cannot generate an RSA key of " + std::to_string(bits) + " bits"));
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::generate_p256() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Unexpected(openssl_error("cannot generate a P-256 key"));
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  // OpenSSL 3's decoders report any failure as "unsupported"; tell the two common cases apart.
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos)
    return Unexpected(std::string("not a PEM private key: no \"-----BEGIN PRIVATE KEY-----\" block"));
  const BioPtr bio = read_bio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return Unexpected(openssl_error("not a PEM private key: the key is damaged or of an unsupported kind"));
  return PrivateKey(std::move(key));
}

std::string PrivateKey::pem() const {
  const BioPtr bio = write_bio();
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return bio_text(bio.get());
}

std::string PrivateKey::public_key_der() const { return to_der(i2d_PUBKEY, key_.get()); }

// ---- CertificateHashData ---------------------------------------------------------------------------

bool CertificateHashData::same_as(const CertificateHashData& other) const {
  return equal_ignoring_case(hash_algorithm, other.hash_algorithm) &&
         equal_ignoring_case(issuer_name_hash, other.issuer_name_hash) &&
         equal_ignoring_case(issuer_key_hash, other.issuer_key_hash) &&
         normalize_serial_hex(serial_number) == normalize_serial_hex(other.serial_number);
}

// ---- Certificate -----------------------------------------------------------------------------------

Certificate::Certificate(X509Ptr cert) : cert_(std::move(cert)) {}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  const BioPtr bio = read_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
  if (!cert) return Unexpected(openssl_error("not a PEM certificate"));
  return Certificate(std::move(cert));
}

Result<Certificate> Certificate::from_der(std::string_view der) {
  const unsigned char* cursor = bytes_of(der);
  X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!cert) return Unexpected(openssl_error("not a DER certificate"));
  if (cursor != bytes_of(der) + der.size()) return Unexpected(std::string("not a DER certificate: trailing bytes"));
  return Certificate(std::move(cert));
}

std::string Certificate::pem() const {
  const BioPtr bio = write_bio();
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return bio_text(bio.get());
}

std::string Certificate::der() const { return to_der(i2d_X509, cert_.get()); }

std::string Certificate::subject() const { return name_one_line(X509_get_subject_name(cert_.get())); }
std::string Certificate::subject_cn() const { return name_entry(X509_get_subject_name(cert_.get()), NID_commonName); }
std::string Certificate::issuer_cn() const { return name_entry(X509_get_issuer_name(cert_.get()), NID_commonName); }
std::string Certificate::subject_organization() const {
  return name_entry(X509_get_subject_name(cert_.get()), NID_organizationName);
}
std::string Certificate::serial_hex() const { return serial_to_hex(X509_get0_serialNumber(cert_.get())); }
std::int64_t Certificate::not_before() const { return to_unix_seconds(X509_get0_notBefore(cert_.get())); }
std::int64_t Certificate::not_after() const { return to_unix_seconds(X509_get0_notAfter(cert_.get())); }

bool Certificate::is_ca() const { return (X509_get_extension_flags(cert_.get()) & EXFLAG_CA) != 0; }

bool Certificate::self_signed() const {
  const bool result = X509_self_signed(cert_.get(), 1) == 1;
  ERR_clear_error();
  return result;
}

std::optional<std::string> Certificate::ocsp_url() const {
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert_.get());
  std::optional<std::string> first;
  if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) first = sk_OPENSSL_STRING_value(urls, 0);
  X509_email_free(urls);
  return first;
}

std::string Certificate::public_key_der() const { return to_der(i2d_PUBKEY, X509_get0_pubkey(cert_.get())); }
KeyType Certificate::key_type() const { return key_type_of(X509_get0_pubkey(cert_.get())); }

std::string Certificate::sha256_hash() const { return base64url_encode(digest(der(), EVP_sha256())); }

CertificateHashData Certificate::hash_data(const Certificate& issuer, std::string_view algorithm) const {
  CertificateHashData data;
  data.hash_algorithm = std::string(algorithm);
  const EVP_MD* md = digest_named(algorithm);
  const unsigned char* name_der = nullptr;
  std::size_t name_length = 0;
  if (X509_NAME_get0_der(X509_get_subject_name(issuer.get()), &name_der, &name_length) == 1)
    data.issuer_name_hash = to_hex(digest(view_of(name_der, static_cast<int>(name_length)), md));
  // The key hash covers the BIT STRING's contents only (RFC 6960 4.1.1), not the whole SPKI.
  if (const ASN1_BIT_STRING* key_bits = X509_get0_pubkey_bitstr(issuer.get()))
    data.issuer_key_hash = to_hex(digest(view_of(key_bits), md));
  data.serial_number = serial_hex();
  return data;
}

bool Certificate::signed_by(const Certificate& issuer) const {
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
  const bool result = issuer_key != nullptr && X509_verify(cert_.get(), issuer_key) == 1;
  ERR_clear_error();
  return result;
}

bool Certificate::operator==(const Certificate& other) const { return der() == other.der(); }

// ---- bundles and encodings -------------------------------------------------------------------------

Result<std::vector<Certificate>> parse_pem_chain(std::string_view pem) {
  const BioPtr bio = read_bio(pem);
  std::vector<Certificate> chain;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
      const unsigned long error = ERR_peek_last_error();
      // "no start line" after at least one block is the normal end of the text.
      if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      return Unexpected(openssl_error("damaged PEM block after " + std::to_string(chain.size()) + " certificate(s)"));
    }
    const OpensslString owned_name(name), owned_header(header);
    const std::string der(view_of(data, static_cast<int>(length)));
    OPENSSL_free(data);
    // Other blocks (a key someone appended) are not certificates; skip them.
    if (std::string_view(name) != PEM_STRING_X509 && std::string_view(name) != PEM_STRING_X509_OLD) continue;
    auto cert = Certificate::from_der(der);
    if (!cert) return Unexpected("certificate " + std::to_string(chain.size() + 1) + " of the bundle: " + cert.error());
    chain.push_back(std::move(*cert));
  }
  if (chain.empty()) return Unexpected(std::string("no PEM certificate in the text"));
  return chain;
}

std::string to_pem_chain(const std::vector<Certificate>& chain) {
  std::string pem;
  for (const auto& cert : chain) pem += cert.pem();
  return pem;
}

std::string hex_digest(std::string_view bytes, std::string_view algorithm) {
  // An unsupported algorithm gives "" (the callers take the name from OCPP messages, which they check).
  return to_hex(digest(bytes, digest_named(algorithm)));
}

std::string base64url_encode(std::string_view bytes) {
  std::string text = base64_encode(bytes);
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

}  // namespace evbroker::pki
