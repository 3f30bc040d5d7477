// The management API's bodies (actors/api/generated/, from docs/openapi.json): every constraint of a
// request body's schema is refused with an error that names the member as a JSON pointer, a valid
// body decodes and encodes back to the same text, and the response encoders write the shapes the
// handlers wrote by hand before (docs/api.md).

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "actors/api/generated/api_bodies.hpp"

namespace {

using namespace evbroker;
using namespace evbroker::actors::api::bodies;

/// Runs `decode` over `json`; the error text, or "" when it decoded.
template <class Decode>
std::string error_of(Decode decode, std::string_view json) {
  simdjson::dom::parser parser;
  auto result = decode(parser.parse(json.data(), json.size()).get_object().value());
  return result ? std::string() : result.error();
}

template <class Decode>
auto decoded(Decode decode, std::string_view json) {
  simdjson::dom::parser parser;
  auto result = decode(parser.parse(json.data(), json.size()).get_object().value());
  REQUIRE(result);
  return *result;
}

/// A valid Token body's members, as JSON, in the schema's order.
const std::vector<std::pair<std::string, std::string>> kTokenMembers = {
    {"countryCode", R"("GB")"},
    {"partyId", R"("TWK")"},
    {"type", R"("RFID")"},
    {"uid", R"("DEADBEEF")"},
    {"contractId", R"("GBTWK012345678V")"},
    {"visualNumber", R"("VIS-1")"},
    {"issuer", R"("Thoughtworks")"},
    {"groupId", R"("G1")"},
    {"valid", "true"},
    {"languageCode", R"("en")"},
    {"cacheMode", R"("ALWAYS")"},
    {"expiryDate", R"("2030-01-02T03:04:05.000Z")"}};

/// The valid Token body with member `name`'s value replaced by `value` (JSON text, which may add
/// members after it), or without the member when `value` is empty.
std::string token_with(std::string_view name = "", std::string_view value = "") {
  std::string json = "{";
  for (const auto& [member, text] : kTokenMembers) {
    if (member == name && value.empty()) continue;
    if (json.size() > 1) json += ',';
    json += '"' + member + "\":" + (member == name ? std::string(value) : text);
  }
  return json + '}';
}

const std::string kToken = token_with();

}  // namespace

TEST_CASE("a valid Token body decodes and encodes back to the same text") {
  const auto token = decoded(decode_token, kToken);
  CHECK(token.uid == "DEADBEEF");
  CHECK(token.valid);
  CHECK(token.group_id == "G1");
  CHECK(token.expiry_date_ms == 1893553445000);
  CHECK_FALSE(token.last_updated_ms);
  CHECK(ocpp::to_json(token) == kToken);
}

TEST_CASE("a Token body without a required member is refused naming it") {
  for (auto name : {"countryCode", "partyId", "type", "uid", "contractId", "issuer", "valid", "cacheMode"}) {
    INFO(name);
    CHECK(error_of(decode_token, token_with(name, "")) == "/" + std::string(name) + ": missing required property");
  }
  CHECK(error_of(decode_token, token_with("visualNumber", "")).empty());
}

TEST_CASE("a Token body member of the wrong type is refused with the type expected") {
  CHECK(error_of(decode_token, token_with("uid", "5")) == "/uid: expected a string");
  CHECK(error_of(decode_token, token_with("valid", R"("yes")")) == "/valid: expected true or false");
  CHECK(error_of(decode_token, token_with("expiryDate", "1")) ==
        "/expiryDate: expected a string (an RFC 3339 date-time)");
  CHECK(error_of(decode_token, token_with("expiryDate", R"("tomorrow")")) ==
        "/expiryDate: expected an RFC 3339 date-time");
}

TEST_CASE("a Token body with a value outside an enum is refused listing the values") {
  CHECK(error_of(decode_token, token_with("type", R"("BARCODE")")) ==
        "/type: expected one of AD_HOC_USER, APP_USER, OTHER, RFID, got 'BARCODE'");
  CHECK(error_of(decode_token, token_with("cacheMode", R"("SOMETIMES")")) ==
        "/cacheMode: expected one of ALWAYS, ALLOWED, ALLOWED_OFFLINE, NEVER, got 'SOMETIMES'");
}

TEST_CASE("a Token body string outside its minLength and maxLength is refused with the bounds") {
  CHECK(error_of(decode_token, token_with("countryCode", R"("GBR")")) == "/countryCode: expected 2 characters");
  CHECK(error_of(decode_token, token_with("uid", R"("")")) == "/uid: expected 1 to 36 characters");
  CHECK(error_of(decode_token, token_with("uid", '"' + std::string(37, 'A') + '"')) ==
        "/uid: expected 1 to 36 characters");
  CHECK(error_of(decode_token, token_with("groupId", '"' + std::string(37, 'G') + '"')) ==
        "/groupId: expected 1 to 36 characters");
}

TEST_CASE("string lengths are counted in characters, not bytes, as JSON Schema counts them") {
  CHECK(error_of(decode_token, token_with("uid", '"' + std::string(18, 'A') + std::string(18, 'x') + '"')).empty());
  std::string thirty_six_e_acute;
  for (int i = 0; i < 36; ++i) thirty_six_e_acute += "\u00e9";  // 72 bytes
  CHECK(error_of(decode_token, token_with("uid", '"' + thirty_six_e_acute + '"')).empty());
  CHECK(error_of(decode_token, token_with("countryCode", "\"\u00e9\"")) == "/countryCode: expected 2 characters");
}

TEST_CASE("a Token contractId that is not an eMAID is refused by the pattern's check") {
  CHECK(error_of(decode_token, token_with("contractId", R"("GB-TWK-0123")")) ==
        "/contractId: not an eMAID (e.g. GB-TWK-012345678-V)");
  for (auto emaid : {R"("GB-TWK-012345678-V")", R"("GBTWK012345678")", R"("gb-twk-abcdefghi")"})
    CHECK(error_of(decode_token, token_with("contractId", emaid)).empty());
}

TEST_CASE("a Token body with an unknown member or a member given twice is refused naming it") {
  CHECK(error_of(decode_token, token_with("issuer", R"("I","colour":"red")")) == "/colour: unknown property");
  CHECK(error_of(decode_token, token_with("issuer", R"("I","uid":"U2")")) == "/uid: property appears more than once");
}

TEST_CASE("a Token body's lastUpdated is the node's to set and is ignored") {
  const auto token = decoded(decode_token, token_with("issuer", R"("I","lastUpdated":5)"));
  CHECK_FALSE(token.last_updated_ms);
}

TEST_CASE("a ChargeStationAuth body is refused outside its integer range, and optional members stay absent") {
  CHECK(error_of(decode_charge_station_auth, R"({"securityProfile":7})") ==
        "/securityProfile: value 7 above maximum 2");
  CHECK(error_of(decode_charge_station_auth, R"({"securityProfile":-1})") ==
        "/securityProfile: value -1 below minimum 0");
  CHECK(error_of(decode_charge_station_auth, R"({"securityProfile":1.5})") == "/securityProfile: expected an integer");
  CHECK(error_of(decode_charge_station_auth, R"({"securityProfile":"zero"})") ==
        "/securityProfile: expected an integer");
  CHECK(error_of(decode_charge_station_auth, R"({})") == "/securityProfile: missing required property");
  CHECK(error_of(decode_charge_station_auth, R"({"securityProfile":0,"base64SHA256Password":")" + std::string(65, 'a') +
                                                 "\"}") == "/base64SHA256Password: expected at most 64 characters");
  const auto auth = decoded(decode_charge_station_auth, R"({"securityProfile":2,"tolerant":true})");
  CHECK(auth.security_profile == 2);
  CHECK(auth.tolerant == true);
  CHECK_FALSE(auth.invalid_username_allowed);
  CHECK(ocpp::to_json(auth) == R"({"securityProfile":2,"tolerant":true})");
}

TEST_CASE("a ChargeStationSettings body is a map of strings, in the body's order") {
  const auto body = decoded(decode_charge_station_settings, R"({"B":"2","OCPPCommCtrlr/HeartbeatInterval":"30"})");
  REQUIRE(body.settings.size() == 2);
  CHECK(body.settings[0] == std::pair<std::string, std::string>{"B", "2"});
  CHECK(body.settings[1].first == "OCPPCommCtrlr/HeartbeatInterval");
  CHECK(error_of(decode_charge_station_settings, R"({"OCPPCommCtrlr/HeartbeatInterval":60})") ==
        "/OCPPCommCtrlr~1HeartbeatInterval: expected a string");
  CHECK(error_of(decode_charge_station_settings, R"({"K":")" + std::string(1001, 'v') + "\"}") ==
        "/K: expected at most 1000 characters");
  CHECK(error_of(decode_charge_station_settings, "{}") == "body: expected at least 1 member");
}

TEST_CASE("a ChargeStationTrigger body is refused without its trigger, with another value or another member") {
  CHECK(decoded(decode_charge_station_trigger, R"({"trigger":"Heartbeat"})").trigger == "Heartbeat");
  CHECK(error_of(decode_charge_station_trigger, "{}") == "/trigger: missing required property");
  CHECK(error_of(decode_charge_station_trigger, R"({"trigger":5})") == "/trigger: expected a string");
  CHECK(error_of(decode_charge_station_trigger, R"({"trigger":"NoSuchMessage"})")
            .starts_with("/trigger: expected one of BootNotification, StatusNotification, Heartbeat,"));
  CHECK(error_of(decode_charge_station_trigger, R"({"trigger":"NoSuchMessage"})").ends_with(", got 'NoSuchMessage'"));
  // A long value is named shortened.
  CHECK(error_of(decode_charge_station_trigger, R"({"trigger":")" + std::string(100, 'x') + "\"}")
            .ends_with(", got '" + std::string(60, 'x') + "...'"));
  CHECK(error_of(decode_charge_station_trigger, R"({"trigger":"Heartbeat","x":1})") == "/x: unknown property");
}

TEST_CASE("a ChargeStationInstallCertificates body names the entry and member that break the schema") {
  const auto* good = R"({"type":"V2G","certificate":"PEM"})";
  auto body = [&](std::string list) { return R"({"certificates":)" + list + "}"; };
  CHECK(error_of(decode_charge_station_install_certificates, body("[]")) == "/certificates: expected at least 1 item");
  CHECK(error_of(decode_charge_station_install_certificates, body(good)) == "/certificates: expected an array");
  CHECK(error_of(decode_charge_station_install_certificates, body(std::string("[") + good + R"(,"x"])")) ==
        "/certificates/1: expected an object");
  CHECK(error_of(decode_charge_station_install_certificates, body(R"([{"type":"OEM","certificate":"P"}])")) ==
        "/certificates/0/type: expected one of V2G, MO, MF, CSMS, got 'OEM'");
  CHECK(error_of(decode_charge_station_install_certificates, body(R"([{"certificate":"P"}])")) ==
        "/certificates/0/type: missing required property");
  CHECK(error_of(decode_charge_station_install_certificates, body(R"([{"type":"MO"}])")) ==
        "/certificates/0/certificate: missing required property");
  CHECK(error_of(decode_charge_station_install_certificates, body(R"([{"type":"MO","certificate":"P","x":1}])")) ==
        "/certificates/0/x: unknown property");
  CHECK(error_of(decode_charge_station_install_certificates, "{}") == "/certificates: missing required property");
  // What the node answered may come back: status and certificateHash are read-only.
  const auto install = decoded(decode_charge_station_install_certificates,
                               body(R"([{"type":"MO","certificate":"P","status":"Accepted","certificateHash":"h"}])"));
  REQUIRE(install.certificates.size() == 1);
  CHECK(install.certificates[0] == InstallCertificate{"MO", "P", std::nullopt, std::nullopt});
}

TEST_CASE("a Certificate body decodes and encodes back to the same text") {
  const auto body = decoded(decode_certificate, R"({"certificate":"-----BEGIN CERTIFICATE-----\n"})");
  CHECK(ocpp::to_json(body) == R"({"certificate":"-----BEGIN CERTIFICATE-----\n"})");
  CHECK(error_of(decode_certificate, R"({"certificate":1})") == "/certificate: expected a string");
  CHECK(error_of(decode_certificate, R"({"pem":"x"})") == "/pem: unknown property");
}

TEST_CASE("the response encoders write the shapes docs/api.md shows") {
  CHECK(ocpp::to_json(Status{"Bad Request", "/uid: missing required property"}) ==
        R"({"status":"Bad Request","error":"/uid: missing required property"})");
  CHECK(ocpp::to_json(Status{"OK", std::nullopt}) == R"({"status":"OK"})");
  CHECK(ocpp::to_json(Registered{"Created", true}) == R"({"status":"Created","sessionEnded":true})");
  CHECK(ocpp::to_json(Deleted{12}) == R"({"deleted":12})");
  CHECK(ocpp::to_json(CallFailure{"Gateway Timeout", "no answer", true}) ==
        R"({"status":"Gateway Timeout","error":"no answer","sent":true})");
  CHECK(ocpp::to_json(CallFailure{"Gateway Timeout", "unknown", std::nullopt}) ==
        R"({"status":"Gateway Timeout","error":"unknown"})");
  CHECK(
      ocpp::to_json(CallError{"Bad Gateway", "the station answered with NotSupported", true, "NotSupported", "", ""}) ==
      R"({"status":"Bad Gateway","error":"the station answered with NotSupported","sent":true,)"
      R"("error_code":"NotSupported","error_description":"","error_details":{}})");
  InstallCertificatesResult installed{{{"V2G", "PEM", "Pending", "h1"}}};
  CHECK(ocpp::to_json(installed) ==
        R"({"certificates":[{"type":"V2G","certificate":"PEM","status":"Pending","certificateHash":"h1"}]})");
  CHECK(ocpp::to_json(StationCertificates{}) == R"({"signRequests":[],"installs":[]})");
}

TEST_CASE("a Station body leaves out what the station never reported and writes stored JSON as it is") {
  Station station;
  station.id = "CS1";
  station.registration_status = "Pending";
  station.storage.events = {1, 2, 3, 4};
  CHECK(ocpp::to_json(station) == R"({"id":"CS1","securityProfile":0,"invalidUsernameAllowed":false,"tolerant":false,)"
                                  R"("registrationStatus":"Pending","online":false,)"
                                  R"("storage":{"events":{"entries":1,"bytes":2,"maxEntries":3,"maxBytes":4},)"
                                  R"("deviceModel":{"entries":0,"bytes":0,"maxEntries":0,"maxBytes":0},)"
                                  R"("meterValues":{"entries":0,"bytes":0,"maxEntries":0,"maxBytes":0}}})");
  station.registered_at_ms = 0;
  station.boot = R"({"reason":"PowerUp"})";
  station.connectors = {{R"({"evseId":1})"}, {R"({"evseId":2})"}};
  station.settings = {{{"HeartbeatInterval", R"({"value":"30"})"}}};
  const auto json = ocpp::to_json(station);
  CHECK(json.find(R"("registeredAt":"1970-01-01T00:00:00.000Z")") != std::string::npos);
  CHECK(json.find(R"("boot":{"reason":"PowerUp"},"connectors":[{"evseId":1},{"evseId":2}])") != std::string::npos);
  CHECK(json.find(R"("settings":{"HeartbeatInterval":{"value":"30"}},"storage")") != std::string::npos);
}
