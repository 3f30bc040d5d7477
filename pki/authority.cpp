#include "pki/authority.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "pki/openssl_util.hpp"

namespace evbroker::pki {

using namespace detail;

namespace {

constexpr std::int64_t clock_skew_seconds = 5 * 60;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// 16 random bytes, positive, and always 16 bytes long in DER (top bit clear, next bit set).
Asn1IntegerPtr random_serial() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return nullptr;
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  const BignumPtr number(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!number) return nullptr;
  return Asn1IntegerPtr(BN_to_ASN1_INTEGER(number.get(), nullptr));
}

/// basicConstraints and keyUsage are critical on every profile (RFC 5280 4.2.1.3, 4.2.1.9; ISO 15118-2
/// annex F); extendedKeyUsage is not.
struct ProfileExtensions {
  std::string basic_constraints;
  const char* key_usage;
  const char* extended_key_usage;  // nullptr: none
};

ProfileExtensions extensions_of(const IssueOptions& options, KeyType subject_key) {
  switch (options.profile) {
    case CertificateProfile::root_ca: return {"critical,CA:TRUE", "critical,keyCertSign,cRLSign", nullptr};
    case CertificateProfile::sub_ca: {
      std::string constraints = "critical,CA:TRUE";
      if (options.path_length >= 0) constraints += ",pathlen:" + std::to_string(options.path_length);
      return {constraints, "critical,keyCertSign,cRLSign", nullptr};
    }
    case CertificateProfile::csms_server:
      // keyAgreement is for (EC)DH keys (RFC 5280 4.2.1.3): an RSA server key signs (ECDHE) or
      // decrypts the premaster secret (TLS_RSA_*), nothing else.
      if (subject_key == KeyType::rsa)
        return {"critical,CA:FALSE", "critical,digitalSignature,keyEncipherment", "serverAuth"};
      return {"critical,CA:FALSE", "critical,digitalSignature,keyEncipherment,keyAgreement", "serverAuth"};
    case CertificateProfile::charging_station:
      return {"critical,CA:FALSE", "critical,digitalSignature,keyAgreement", "clientAuth"};
    case CertificateProfile::v2g_secc: return {"critical,CA:FALSE", "critical,digitalSignature,keyAgreement", nullptr};
    case CertificateProfile::ocsp_signer: return {"critical,CA:FALSE", "critical,digitalSignature", "OCSPSigning"};
  }
  return {"critical,CA:FALSE", "critical,digitalSignature", nullptr};
}

bool add_configured(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  const X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

/// SANs built as structures, not as configuration text, so a name holding a comma cannot turn
/// into a second entry.
Result<void*> add_subject_alt_names(X509* cert, const IssueOptions& options) {
  if (options.dns_names.empty() && options.ip_addresses.empty()) return nullptr;
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Unexpected(openssl_error("out of memory"));
  for (const auto& dns : options.dns_names) {
    GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!name || !text || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      return Unexpected(openssl_error("cannot encode DNS name " + dns));
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text);
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) return Unexpected(openssl_error("out of memory"));
    name.release();  // the stack owns it now
  }
  for (const auto& ip : options.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!address || !name) {
      ASN1_OCTET_STRING_free(address);
      return Unexpected(openssl_error("not an IP address: " + ip));
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address);
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) return Unexpected(openssl_error("out of memory"));
    name.release();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return Unexpected(openssl_error("cannot add subjectAltName"));
  return nullptr;
}

Result<void*> add_ocsp_url(X509* cert, const std::string& url) {
  if (url.empty()) return nullptr;
  InfoAccessPtr access(AUTHORITY_INFO_ACCESS_new());
  AccessDescriptionPtr description(ACCESS_DESCRIPTION_new());
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (!access || !description || !text || ASN1_STRING_set(text, url.data(), static_cast<int>(url.size())) != 1) {
    ASN1_IA5STRING_free(text);
    return Unexpected(openssl_error("cannot encode the OCSP URL"));
  }
  ASN1_OBJECT_free(description->method);
  description->method = OBJ_nid2obj(NID_ad_OCSP);
  GENERAL_NAME_set0_value(description->location, GEN_URI, text);
  if (sk_ACCESS_DESCRIPTION_push(access.get(), description.get()) <= 0)
    return Unexpected(openssl_error("out of memory"));
  description.release();
  if (X509_add1_ext_i2d(cert, NID_info_access, access.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return Unexpected(openssl_error("cannot add authorityInfoAccess"));
  return nullptr;
}

/// Makes and signs a certificate. `issuer` null: self-signed by `signing_key`, which is then also
/// the subject's key.
Result<Certificate> build_certificate(const Certificate* issuer, EVP_PKEY* signing_key, const X509_NAME* subject,
                                      EVP_PKEY* subject_key, const IssueOptions& options) {
  const std::int64_t now = now_seconds();
  std::int64_t not_after = now + options.validity.count();
  if (issuer != nullptr) {
    if (issuer->not_after() <= now) return Unexpected("the CA certificate " + issuer->subject() + " has expired");
    not_after = std::min(not_after, issuer->not_after());
  }

  X509Ptr cert(X509_new());
  const Asn1IntegerPtr serial = random_serial();
  if (!cert || !serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 || X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer->get()) : subject) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<std::time_t>(now - clock_skew_seconds)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<std::time_t>(not_after)) ||
      X509_set_pubkey(cert.get(), subject_key) != 1)
    return Unexpected(openssl_error("cannot fill in the certificate"));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer->get() : cert.get(), cert.get(), nullptr, nullptr, 0);
  const ProfileExtensions profile = extensions_of(options, key_type_of(subject_key));
  // subjectKeyIdentifier goes first: for a self-signed root, authorityKeyIdentifier copies it.
  if (!add_configured(cert.get(), &ctx, NID_basic_constraints, profile.basic_constraints.c_str()) ||
      !add_configured(cert.get(), &ctx, NID_key_usage, profile.key_usage) ||
      (profile.extended_key_usage &&
       !add_configured(cert.get(), &ctx, NID_ext_key_usage, profile.extended_key_usage)) ||
      !add_configured(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_configured(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"))
    return Unexpected(openssl_error("cannot add the profile's extensions"));
  if (auto added = add_subject_alt_names(cert.get(), options); !added) return Unexpected(std::move(added.error()));
  if (auto added = add_ocsp_url(cert.get(), options.ocsp_url); !added) return Unexpected(std::move(added.error()));

  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0)
    return Unexpected(openssl_error("cannot sign the certificate"));
  return Certificate(std::move(cert));
}

Result<Certificate> issue_for(const CertificateAuthority& ca, EVP_PKEY* subject_key, std::string_view common_name,
                              std::string_view organization, const IssueOptions& options) {
  if (common_name.empty()) return Unexpected(std::string("the subject has no common name"));
  const X509NamePtr subject = make_name(common_name, organization);
  if (!subject) return Unexpected(openssl_error("cannot encode the subject name"));
  return build_certificate(&ca.certificate(), ca.key().get(), subject.get(), subject_key, options);
}

}  // namespace

CertificateAuthority::CertificateAuthority(std::vector<Certificate> chain, PrivateKey key)
    : chain_(std::move(chain)), key_(std::move(key)) {}

Result<CertificateAuthority> CertificateAuthority::create_root(std::string_view common_name,
                                                               std::string_view organization,
                                                               std::chrono::seconds validity, const PrivateKey& key) {
  const X509NamePtr subject = make_name(common_name, organization);
  if (!subject) return Unexpected(openssl_error("cannot encode the subject name"));
  IssueOptions options;
  options.profile = CertificateProfile::root_ca;
  options.validity = validity;
  auto cert = build_certificate(nullptr, key.get(), subject.get(), key.get(), options);
  if (!cert) return Unexpected(std::move(cert.error()));
  return CertificateAuthority({std::move(*cert)}, key);
}

Result<Certificate> CertificateAuthority::sign(const CertificateRequest& csr, const IssueOptions& options) const {
  if (!csr.signature_valid()) return Unexpected(std::string("the CSR's signature does not verify"));
  EVP_PKEY* subject_key = X509_REQ_get0_pubkey(csr.get());
  if (subject_key == nullptr) return Unexpected(openssl_error("the CSR holds no usable public key"));
  return issue_for(*this, subject_key, csr.subject_cn(), csr.subject_organization(), options);
}

Result<Certificate> CertificateAuthority::issue(const PrivateKey& subject_key, std::string_view common_name,
                                                std::string_view organization, const IssueOptions& options) const {
  return issue_for(*this, subject_key.get(), common_name, organization, options);
}

Result<CertificateAuthority> CertificateAuthority::create_sub_ca(std::string_view common_name,
                                                                 std::string_view organization,
                                                                 std::chrono::seconds validity, int path_length) const {
  auto key = PrivateKey::generate_p256();
  if (!key) return Unexpected(std::move(key.error()));
  IssueOptions options;
  options.profile = CertificateProfile::sub_ca;
  options.validity = validity;
  options.path_length = path_length;
  auto cert = issue(*key, common_name, organization, options);
  if (!cert) return Unexpected(std::move(cert.error()));
  std::vector<Certificate> chain{std::move(*cert)};
  chain.insert(chain.end(), chain_.begin(), chain_.end());
  return CertificateAuthority(std::move(chain), std::move(*key));
}

}  // namespace evbroker::pki
