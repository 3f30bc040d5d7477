// How the security actor reads a station's answer to its CertificateSigned and InstallCertificate
// calls: natively, or as the 2.0.1 response inside a 1.6 DataTransfer.conf (iso15118pnc), from
// the typed answer the station actor hands back.

#include <catch2/catch.hpp>

#include <string>

#include "actors/pnc/security_internal.hpp"
#include "tests/actors/call_results.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using evbroker::actors::test::answered;
using pnc::answered_status;

constexpr std::size_t kDepth = 64;  // --max-json-depth's default

namespace {

ocpp201::CertificateSignedRequest certificate_signed() {
  ocpp201::CertificateSignedRequest request;
  request.certificateChain = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  request.certificateType = ocpp201::CertificateSigningUseEnumType::V2GCertificate;
  return request;
}

}  // namespace

TEST_CASE("a native answer's status is read from its typed response", "[pnc]") {
  const auto call = CsmsCall::of(certificate_signed());
  CHECK(call.action.name() == "CertificateSigned");
  std::string error;
  CHECK(answered_status(answered(call, R"({"status":"Accepted"})"), std::nullopt, kDepth, error) == "Accepted");
  CHECK(answered_status(answered(call, R"({"status":"Rejected"})"), std::nullopt, kDepth, error) == "Rejected");
  CHECK(error.empty());
}

TEST_CASE("a 1.6 station's iso15118pnc answer is the 2.0.1 response in DataTransfer.conf data", "[pnc]") {
  const auto call = pnc::as_pnc_data_transfer(certificate_signed());
  CHECK(call.action.version == ocpp::Version::v16);
  CHECK(call.action.name() == "DataTransfer");
  const auto* wrapped = std::get_if<ocpp16::DataTransferRequest>(call.request.v16.get());
  REQUIRE(wrapped != nullptr);
  CHECK(wrapped->vendorId == "org.openchargealliance.iso15118pnc");
  CHECK(wrapped->messageId == "CertificateSigned");
  CHECK(wrapped->data == ocpp::to_json(certificate_signed()));

  const auto inner = std::optional(ocpp201::Action::CertificateSigned);
  std::string error;
  CHECK(answered_status(answered(call, R"({"status":"Accepted","data":"{\"status\":\"Rejected\"}"})"), inner, kDepth,
                        error) == "Rejected");
  CHECK(error.empty());

  // Every way of not answering one says why, and gives no status.
  CHECK(answered_status(answered(call, R"({"status":"UnknownVendorId"})"), inner, kDepth, error).empty());
  CHECK(error == "DataTransfer.conf status UnknownVendorId without data");
  CHECK(
      answered_status(answered(call, R"({"status":"Accepted","data":"{\"status\":\"Maybe\"}"})"), inner, kDepth, error)
          .empty());
  CHECK_THAT(error, Catch::StartsWith("DataTransfer.conf data is not a CertificateSigned response: "));
  CHECK(answered_status(answered(call, R"({"status":"Accepted","data":"not json"})"), inner, kDepth, error).empty());
  CHECK_THAT(error, Catch::StartsWith("DataTransfer.conf data is not a CertificateSigned response: "));

  // The data is a JSON document of its own, held to the node's depth limit like every one it reads.
  std::string nested = R"({"status":"Accepted","customData":{"vendorId":"x","n":)";
  for (int i = 0; i < 10; ++i) nested += "[";
  nested += "1";
  for (int i = 0; i < 10; ++i) nested += "]";
  nested += "}}";
  ocpp16::DataTransferResponse deep;
  deep.status = ocpp16::DataTransferStatus::Accepted;
  deep.data = nested;
  const auto deep_answer = answered(call, ocpp::to_json(deep));
  CHECK(answered_status(deep_answer, inner, kDepth, error) == "Accepted");
  CHECK(answered_status(deep_answer, inner, 8, error).empty());
  CHECK_THAT(error, Catch::StartsWith("DataTransfer.conf data is not a CertificateSigned response: "));

  CsmsCallResult refused;
  refused.kind = CsmsCallResult::Kind::call_error;
  refused.error_code = "NotSupported";
  refused.error_description = "no PnC here";
  CHECK(answered_status(refused, inner, kDepth, error).empty());
  CHECK(error == "CALLERROR NotSupported: no PnC here");
}
