// The decisions of a security-profile upgrade (actors/station/security_upgrade.hpp): which steps it
// takes, the NetworkConfigurationPriority it writes, which answers let it go on, and whether the
// station already holds the node's CSMS root.

#include <catch2/catch.hpp>

#include "actors/station/security_upgrade.hpp"
#include "call_results.hpp"
#include "pki/authority.hpp"

namespace evbroker::actors {
namespace {

using Steps = std::vector<UpgradeStep>;
using test::answered;

}  // namespace

TEST_CASE("TC_A_19 A05: a 2.0.1 upgrade sets the network profile, puts its slot first, then resets",
          "[security upgrade]") {
  CHECK(plan_security_upgrade(ocpp::Version::v201, 1, 2, false, false) ==
        Steps{UpgradeStep::network_profile, UpgradeStep::priority, UpgradeStep::reset});
  // From profile 0 the station is given the node's root first; to 2 a certificate when it has none.
  CHECK(plan_security_upgrade(ocpp::Version::v201, 0, 2, true, true) ==
        Steps{UpgradeStep::csms_root, UpgradeStep::certificate, UpgradeStep::network_profile, UpgradeStep::priority,
              UpgradeStep::reset});
  // From profile 1 the station checks the server certificate already: no root step.
  CHECK(plan_security_upgrade(ocpp::Version::v201, 1, 2, true, true) ==
        Steps{UpgradeStep::certificate, UpgradeStep::network_profile, UpgradeStep::priority, UpgradeStep::reset});
  // To profile 1 no client certificate is needed.
  CHECK(plan_security_upgrade(ocpp::Version::v201, 0, 1, false, true) ==
        Steps{UpgradeStep::network_profile, UpgradeStep::priority, UpgradeStep::reset});
}

TEST_CASE("a 1.6 upgrade sets the SecurityProfile key", "[security upgrade]") {
  CHECK(plan_security_upgrade(ocpp::Version::v16, 0, 1, true, false) ==
        Steps{UpgradeStep::csms_root, UpgradeStep::security_profile});
  CHECK(plan_security_upgrade(ocpp::Version::v16, 1, 2, false, true) ==
        Steps{UpgradeStep::certificate, UpgradeStep::security_profile});
}

TEST_CASE("the new slot goes first in NetworkConfigurationPriority, the others keep their order",
          "[security upgrade]") {
  CHECK(priority_with_slot_first("1", 2) == "2,1");
  CHECK(priority_with_slot_first("1,2,3", 2) == "2,1,3");
  CHECK(priority_with_slot_first(" 1 , 3 ,,", 2) == "2,1,3");
  CHECK(priority_with_slot_first("", 1) == "1");
  CHECK(priority_with_slot_first("1", 1) == "1");
}

TEST_CASE("only answers that accept let the upgrade go on", "[security upgrade]") {
  ocpp201::SetNetworkProfileRequest network;
  const auto network_call = CsmsCall::of(network);
  CHECK(answer_accepted(answered(network_call, R"({"status":"Accepted"})")));
  CHECK_FALSE(answer_accepted(answered(network_call, R"({"status":"Rejected"})")));
  CHECK_FALSE(answer_accepted(answered(network_call, R"({"status":"Failed"})")));

  const auto reset_call = CsmsCall::of(ocpp201::ResetRequest{});
  CHECK(answer_accepted(answered(reset_call, R"({"status":"Scheduled"})")));
  CHECK_FALSE(answer_accepted(answered(reset_call, R"({"status":"Rejected"})")));

  const auto set_call = CsmsCall::of(ocpp201::SetVariablesRequest{});
  CHECK(answer_accepted(answered(set_call, R"({"setVariableResult":[{"attributeStatus":"RebootRequired",
      "component":{"name":"OCPPCommCtrlr"},"variable":{"name":"NetworkConfigurationPriority"}}]})")));
  CHECK_FALSE(answer_accepted(answered(set_call, R"({"setVariableResult":[{"attributeStatus":"Rejected",
      "component":{"name":"OCPPCommCtrlr"},"variable":{"name":"NetworkConfigurationPriority"}}]})")));

  const auto key_call = CsmsCall::of(ocpp16::ChangeConfigurationRequest{});
  CHECK(answer_accepted(answered(key_call, R"({"status":"RebootRequired"})")));
  CHECK_FALSE(answer_accepted(answered(key_call, R"({"status":"NotSupported"})")));

  CsmsCallResult timed_out;
  timed_out.kind = CsmsCallResult::Kind::timeout;
  CHECK_FALSE(answer_accepted(timed_out));
}

TEST_CASE("the node's root is found among the station's installed certificates by its hash data",
          "[security upgrade]") {
  auto key = pki::PrivateKey::generate_p256();
  REQUIRE(key);
  auto root = pki::CertificateAuthority::create_root("test csms root", "evbroker", std::chrono::hours(24), *key);
  REQUIRE(root);
  const auto& certificate = root->certificate();
  const auto hash = certificate.hash_data(certificate);
  auto entry = [](const pki::CertificateHashData& h, std::string_view type) {
    return R"({"certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":")" + h.issuer_name_hash +
           R"(","issuerKeyHash":")" + h.issuer_key_hash + R"(","serialNumber":")" + h.serial_number +
           R"("},"certificateType":")" + std::string(type) + R"("})";
  };
  const auto call = CsmsCall::of(ocpp201::GetInstalledCertificateIdsRequest{});
  CHECK(lists_certificate(answered(call, R"({"status":"Accepted","certificateHashDataChain":[)" +
                                             entry(hash, "CSMSRootCertificate") + "]}"),
                          certificate));
  // Upper-case hex and a leading zero on the serial name the same certificate.
  auto shouted = hash;
  for (auto* text : {&shouted.issuer_name_hash, &shouted.issuer_key_hash, &shouted.serial_number})
    for (auto& c : *text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  shouted.serial_number = "0" + shouted.serial_number;
  CHECK(lists_certificate(answered(call, R"({"status":"Accepted","certificateHashDataChain":[)" +
                                             entry(shouted, "CSMSRootCertificate") + "]}"),
                          certificate));
  auto other = hash;
  other.serial_number = "1234";
  CHECK_FALSE(lists_certificate(answered(call, R"({"status":"Accepted","certificateHashDataChain":[)" +
                                                   entry(other, "CSMSRootCertificate") + "]}"),
                                certificate));
  CHECK_FALSE(lists_certificate(answered(call, R"({"status":"NotFound"})"), certificate));

  const auto v16_call = CsmsCall::of(ocpp16::GetInstalledCertificateIdsRequest{});
  CHECK(lists_certificate(answered(v16_call, R"({"status":"Accepted","certificateHashData":[{"hashAlgorithm":"SHA256",
      "issuerNameHash":")" + hash.issuer_name_hash +
                                                 R"(","issuerKeyHash":")" + hash.issuer_key_hash +
                                                 R"(","serialNumber":")" + hash.serial_number + R"("}]})"),
                          certificate));
}

}  // namespace evbroker::actors
