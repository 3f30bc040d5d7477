#include "pki/verify.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <ctime>

#include "pki/openssl_util.hpp"

namespace evbroker::pki {

using namespace detail;

const char* to_string(ChainVerdict verdict) {
  switch (verdict) {
    case ChainVerdict::valid: return "valid";
    case ChainVerdict::expired: return "expired";
    case ChainVerdict::chain_error: return "chain_error";
    case ChainVerdict::signature_error: return "signature_error";
  }
  return "chain_error";
}

namespace {

ChainVerdict verdict_of(int error) {
  switch (error) {
    case X509_V_OK: return ChainVerdict::valid;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return ChainVerdict::expired;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: return ChainVerdict::signature_error;
    default: return ChainVerdict::chain_error;
  }
}

std::vector<Certificate> path_of(X509_STORE_CTX* ctx) {
  std::vector<Certificate> path;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (X509_up_ref(cert) == 1) path.emplace_back(X509Ptr(cert));
  }
  return path;
}

}  // namespace

ChainVerification verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                               const std::vector<Certificate>& anchors, const VerifyOptions& options) {
  ChainVerification result;
  X509StorePtr store(X509_STORE_new());
  const X509StackPtr untrusted = stack_of(intermediates);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    result.detail = openssl_error("cannot set up verification");
    return result;
  }
  for (const auto& anchor : anchors) {
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
      result.detail = openssl_error("cannot add trust anchor " + anchor.subject());
      return result;
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    result.detail = openssl_error("cannot set up verification");
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (options.partial_chain) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (options.at) X509_VERIFY_PARAM_set_time(param, static_cast<std::time_t>(*options.at));

  const int outcome = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();  // the verdict comes from the context; the queue only repeats it
  if (outcome == 1) {
    result.verdict = ChainVerdict::valid;
    result.path = path_of(ctx.get());
    return result;
  }
  // A failure without a recorded error (out of memory, say) must not read as valid.
  result.verdict = error == X509_V_OK ? ChainVerdict::chain_error : verdict_of(error);
  result.detail = X509_verify_cert_error_string(error);
  if (X509* failed = X509_STORE_CTX_get_current_cert(ctx.get())) {
    result.detail += " (depth " + std::to_string(X509_STORE_CTX_get_error_depth(ctx.get())) + ", " +
                     name_one_line(X509_get_subject_name(failed)) + ")";
  }
  return result;
}

}  // namespace evbroker::pki
