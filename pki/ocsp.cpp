#include "pki/ocsp.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "pki/openssl_util.hpp"

namespace evbroker::pki {

using namespace detail;

const char* to_string(OcspCertStatus status) {
  switch (status) {
    case OcspCertStatus::good: return "good";
    case OcspCertStatus::revoked: return "revoked";
    case OcspCertStatus::unknown: return "unknown";
  }
  return "unknown";
}

namespace {

constexpr long max_clock_skew_seconds = 5 * 60;
constexpr long response_lifetime_seconds = 60 * 60;

/// A DER TLV; CertID fields are short, but the long length form keeps this correct for any size.
std::string der_tlv(unsigned char tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const std::size_t length = content.size();
  if (length < 0x80) {
    out += static_cast<char>(length);
  } else {
    std::string length_bytes;
    for (std::size_t rest = length; rest > 0; rest >>= 8) length_bytes.insert(0, 1, static_cast<char>(rest & 0xff));
    out += static_cast<char>(0x80 | length_bytes.size());
    out += length_bytes;
  }
  out += content;
  return out;
}

/// OpenSSL 3 makes OCSP_CERTID opaque and can only compute one from the issuer's certificate, but
/// a station names a certificate by its hashes alone: encode the CertID (RFC 6960 4.1.1) and let
/// OpenSSL decode it.
Result<OcspCertIdPtr> cert_id_of(const CertificateHashData& id) {
  const EVP_MD* md = digest_named(id.hash_algorithm);
  if (md == nullptr) return Unexpected("unsupported hash algorithm " + id.hash_algorithm);
  const auto digest_size = static_cast<std::size_t>(EVP_MD_get_size(md));
  const auto name_hash = from_hex(id.issuer_name_hash);
  const auto key_hash = from_hex(id.issuer_key_hash);
  if (!name_hash || name_hash->size() != digest_size) return Unexpected(std::string("malformed issuerNameHash"));
  if (!key_hash || key_hash->size() != digest_size) return Unexpected(std::string("malformed issuerKeyHash"));

  const std::string serial_hex = normalize_serial_hex(id.serial_number);
  BIGNUM* number = nullptr;
  const int parsed = BN_hex2bn(&number, serial_hex.c_str());
  const BignumPtr owned_number(number);
  if (parsed <= 0 || static_cast<std::size_t>(parsed) != serial_hex.size()) {
    ERR_clear_error();
    return Unexpected("malformed serialNumber " + id.serial_number);
  }
  const Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(owned_number.get(), nullptr));
  // NULL parameters, as OCSP_cert_to_id writes them, so responders that compare bytes agree.
  X509AlgorPtr algorithm(X509_ALGOR_new());
  if (!serial || !algorithm ||
      X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, nullptr) != 1)
    return Unexpected(openssl_error("cannot encode the CertID"));

  const std::string der = der_tlv(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED,
                                  to_der(i2d_X509_ALGOR, algorithm.get()) + der_tlv(V_ASN1_OCTET_STRING, *name_hash) +
                                      der_tlv(V_ASN1_OCTET_STRING, *key_hash) + to_der(i2d_ASN1_INTEGER, serial.get()));
  const unsigned char* cursor = bytes_of(der);
  OcspCertIdPtr cert_id(d2i_OCSP_CERTID(nullptr, &cursor, static_cast<long>(der.size())));
  if (!cert_id) return Unexpected(openssl_error("cannot decode the CertID"));
  return cert_id;
}

CertificateHashData hash_data_of(const OCSP_CERTID* cert_id) {
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  ASN1_OBJECT* algorithm = nullptr;
  ASN1_INTEGER* serial = nullptr;
  CertificateHashData data;
  // OCSP_id_get0_info only reads, but its parameter is not const in OpenSSL 3.0.
  if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, &serial, const_cast<OCSP_CERTID*>(cert_id)) != 1)
    return data;
  data.hash_algorithm = digest_name_of_nid(OBJ_obj2nid(algorithm));
  if (data.hash_algorithm.empty()) {
    // Not one OCPP names (a SHA-1 CertID from a generic client): keep OpenSSL's name, upper case.
    const char* name = OBJ_nid2sn(OBJ_obj2nid(algorithm));
    for (const char* c = name ? name : "UNKNOWN"; *c; ++c)
      data.hash_algorithm += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
  }
  data.issuer_name_hash = to_hex(view_of(name_hash));
  data.issuer_key_hash = to_hex(view_of(key_hash));
  data.serial_number = serial_to_hex(serial);
  return data;
}

OcspCertStatus status_of_code(int code) {
  switch (code) {
    case V_OCSP_CERTSTATUS_GOOD: return OcspCertStatus::good;
    case V_OCSP_CERTSTATUS_REVOKED: return OcspCertStatus::revoked;
    default: return OcspCertStatus::unknown;
  }
}

int code_of_status(OcspCertStatus status) {
  switch (status) {
    case OcspCertStatus::good: return V_OCSP_CERTSTATUS_GOOD;
    case OcspCertStatus::revoked: return V_OCSP_CERTSTATUS_REVOKED;
    case OcspCertStatus::unknown: return V_OCSP_CERTSTATUS_UNKNOWN;
  }
  return V_OCSP_CERTSTATUS_UNKNOWN;
}

/// The signer must chain to `trust`. The issuing CA may be a sub-CA given without its root, hence
/// partial chains; OCSP_basic_verify then accepts the CA itself or a delegate with OCSPSigning.
Result<void*> verify_signature(OCSP_BASICRESP* basic, const std::vector<Certificate>& trust) {
  X509StorePtr store(X509_STORE_new());
  const X509StackPtr extra = stack_of(trust);
  if (!store || !extra) return Unexpected(openssl_error("cannot set up OCSP verification"));
  for (const auto& cert : trust)
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1)
      return Unexpected(openssl_error("cannot add a trust certificate"));
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (OCSP_basic_verify(basic, extra.get(), store.get(), 0) != 1)
    return Unexpected(openssl_error("the OCSP response's signature does not verify"));
  return nullptr;
}

bool same_hex(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

/// RFC 6960 §4.2.2.2: the CA that issued the certificate may sign the response itself. When the
/// caller has only the certificate's hash data (a station checked the chain and sent hashes), the
/// issuer is not in `trust`; the response is then accepted if one of its certificates IS that
/// issuer (its name and key hashes are the CertID's) and its key made the signature.
bool signed_by_named_issuer(OCSP_BASICRESP* basic, const CertificateHashData& id) {
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic);
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    X509* candidate = sk_X509_value(certs, i);
    if (X509_up_ref(candidate) != 1) continue;
    const Certificate issuer{X509Ptr(candidate)};
    const auto as_issuer = issuer.hash_data(issuer, id.hash_algorithm);
    if (!same_hex(as_issuer.issuer_name_hash, id.issuer_name_hash) ||
        !same_hex(as_issuer.issuer_key_hash, id.issuer_key_hash))
      continue;
    // Signature check only (OCSP_NOVERIFY: no chain to build), with this certificate as the signer.
    const X509StackPtr signer = stack_of({issuer});
    X509StorePtr empty(X509_STORE_new());
    if (signer && empty &&
        OCSP_basic_verify(basic, signer.get(), empty.get(), OCSP_NOVERIFY | OCSP_TRUSTOTHER | OCSP_NOINTERN) == 1)
      return true;
  }
  ERR_clear_error();
  return false;
}

}  // namespace

Result<std::string> make_ocsp_request(const CertificateHashData& id) {
  auto cert_id = cert_id_of(id);
  if (!cert_id) return Unexpected(std::move(cert_id.error()));
  OcspRequestPtr request(OCSP_REQUEST_new());
  if (!request || OCSP_request_add0_id(request.get(), cert_id->get()) == nullptr)
    return Unexpected(openssl_error("cannot make an OCSP request"));
  cert_id->release();  // the request owns it now
  if (OCSP_request_add1_nonce(request.get(), nullptr, -1) != 1) return Unexpected(openssl_error("cannot add a nonce"));
  const std::string der = to_der(i2d_OCSP_REQUEST, request.get());
  if (der.empty()) return Unexpected(openssl_error("cannot encode the OCSP request"));
  return der;
}

Result<OcspAnswer> parse_ocsp_response(std::string_view der, const CertificateHashData& id,
                                       const std::vector<Certificate>& trust) {
  const unsigned char* cursor = bytes_of(der);
  const OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  if (!response) return Unexpected(openssl_error("not a DER OCSP response"));
  const int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return Unexpected(std::string("the OCSP responder answered ") + OCSP_response_status_str(response_status));
  const OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return Unexpected(openssl_error("the OCSP response holds no basic response"));
  if (auto verified = verify_signature(basic.get(), trust); !verified && !signed_by_named_issuer(basic.get(), id))
    return Unexpected(std::move(verified.error()));

  for (int i = 0; i < OCSP_resp_count(basic.get()); ++i) {
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), i);
    if (!hash_data_of(OCSP_SINGLERESP_get0_id(single)).same_as(id)) continue;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int code = OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    if (OCSP_check_validity(this_update, next_update, max_clock_skew_seconds, -1) != 1)
      return Unexpected(openssl_error("the OCSP response is outdated or not yet valid"));
    OcspAnswer answer;
    answer.status = status_of_code(code);
    answer.this_update = to_unix_seconds(this_update);
    answer.next_update = next_update ? to_unix_seconds(next_update) : 0;
    answer.revoked_at = revoked_at ? to_unix_seconds(revoked_at) : 0;
    return answer;
  }
  return Unexpected("the OCSP response does not answer for serial " + id.serial_number);
}

Result<std::string> make_ocsp_response(std::string_view request_der, const CertificateAuthority& signer,
                                       const std::function<OcspCertStatus(const CertificateHashData&)>& status_of) {
  const unsigned char* cursor = bytes_of(request_der);
  const OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(request_der.size())));
  if (!request) return Unexpected(openssl_error("not a DER OCSP request"));

  const std::time_t now = std::time(nullptr);
  const Asn1TimePtr this_update(ASN1_TIME_set(nullptr, now));
  const Asn1TimePtr next_update(ASN1_TIME_set(nullptr, now + response_lifetime_seconds));
  OcspBasicPtr basic(OCSP_BASICRESP_new());
  if (!this_update || !next_update || !basic) return Unexpected(openssl_error("cannot make an OCSP response"));

  for (int i = 0; i < OCSP_request_onereq_count(request.get()); ++i) {
    OCSP_CERTID* cert_id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    const OcspCertStatus status = status_of(hash_data_of(cert_id));
    // The revocation time is not known here; thisUpdate is the latest it can be.
    ASN1_TIME* revoked_at = status == OcspCertStatus::revoked ? this_update.get() : nullptr;
    const int reason = status == OcspCertStatus::revoked ? OCSP_REVOKED_STATUS_UNSPECIFIED : 0;
    if (OCSP_basic_add1_status(basic.get(), cert_id, code_of_status(status), reason, revoked_at, this_update.get(),
                               next_update.get()) == nullptr)
      return Unexpected(openssl_error("cannot add a status to the OCSP response"));
  }
  if (OCSP_copy_nonce(basic.get(), request.get()) <= 0) return Unexpected(openssl_error("cannot copy the nonce"));

  // The signer's issuers up to, not including, the root, so a delegated signer can be verified.
  std::vector<Certificate> issuers;
  for (std::size_t i = 1; i + 1 < signer.chain().size(); ++i) issuers.push_back(signer.chain()[i]);
  const X509StackPtr extra = stack_of(issuers);
  if (!extra ||
      OCSP_basic_sign(basic.get(), signer.certificate().get(), signer.key().get(), EVP_sha256(), extra.get(), 0) != 1)
    return Unexpected(openssl_error("cannot sign the OCSP response"));
  const OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  const std::string der = response ? to_der(i2d_OCSP_RESPONSE, response.get()) : std::string{};
  if (der.empty()) return Unexpected(openssl_error("cannot encode the OCSP response"));
  return der;
}

}  // namespace evbroker::pki
