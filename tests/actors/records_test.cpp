// The records' JSON forms (actors/records/generated/, from records.schema.json), byte for byte as
// the node wrote them before they were generated: a store written by an earlier node reads back the
// same, and records written now read the same in it. The expected texts were taken from the
// hand-written encoders the generator replaced.

#include <catch2/catch.hpp>

#include "actors/records/certificate_records.hpp"
#include "actors/records/records.hpp"

namespace {

using namespace evbroker;
using namespace evbroker::actors;

constexpr std::int64_t kT1 = 1764672000123;  // 2025-12-02T10:40:00.123Z
constexpr std::int64_t kT2 = 1764675600000;

StationRecord station_full() {
  StationRecord r;
  r.security_profile = 1;
  r.password_salt = "c2FsdHNhbHRzYWx0c2FsdA==";
  r.password_hash = "aGFzaA==";
  r.invalid_username_allowed = true;
  r.tolerant = true;
  r.registered_at_ms = kT1;
  return r;
}

TokenRecord token_minimal() {
  TokenRecord t;
  t.country_code = "GB";
  t.party_id = "TWK";
  t.type = "RFID";
  t.uid = "DEADBEEF";
  t.contract_id = "GBTWK012345678V";
  t.issuer = "Thoughtworks";
  t.cache_mode = "ALWAYS";
  return t;
}

TokenRecord token_full() {
  TokenRecord t = token_minimal();
  t.visual_number = "GB-TWK-012345678-V \"card\"";
  t.group_id = "group\\1";
  t.valid = false;
  t.language_code = "en";
  t.last_updated_ms = kT1;
  t.expiry_ms = kT2;
  return t;
}

TransactionRecord transaction_full() {
  TransactionRecord r;
  r.station_id = "CS001";
  r.transaction_id = "tx-\u00e9-1";
  r.version = ocpp::Version::v16;
  r.id_token = "DEADBEEF";
  r.evse_id = 1;
  r.connector_id = 2;
  r.ended = true;
  r.started_at_ms = kT1;
  r.ended_at_ms = kT2;
  r.meter_start_wh = 1000;
  r.meter_stop_wh = 2500.5;
  r.first_energy_wh = 1000.25;
  r.last_energy_wh = 2500;
  r.first_energy_at_ms = kT1;
  r.last_energy_at_ms = kT2;
  r.stop_reason = "Local";
  r.last_seq_no = 0;
  r.events = 12;
  r.meter_values = 10;
  r.remote_start_id = 77;
  return r;
}

SignRequestRecord sign_full() {
  SignRequestRecord r;
  r.station_id = "CS001";
  r.certificate_type = "V2GCertificate";
  r.channel = SignChannel::v16_pnc;
  r.state = "Delivered";
  r.signer = "hubject";
  r.csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
  r.certificate_chain = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  r.certificate_hash = "abc_-123";
  r.requested_at_ms = kT1;
  r.signed_at_ms = kT1 + 1;
  r.delivered_at_ms = kT2;
  r.attempts = 3;
  r.renewal = true;
  r.last_error = "station said Rejected";
  return r;
}

InstallRecord install_full() {
  InstallRecord r;
  r.station_id = "CS001";
  r.type = "V2G";
  r.certificate = "-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n";
  r.certificate_hash = "hash";
  r.status = "Rejected";
  r.detail = "station answered Rejected";
  r.updated_at_ms = kT2;
  return r;
}

template <class Record>
std::string api_json(const Record& r) {
  std::string out;
  ocpp::JsonWriter w(out);
  write_api_json(w, r);
  return out;
}

std::string api_json_open(const TransactionRecord& r) {
  std::string out;
  ocpp::JsonWriter w(out);
  write_api_json_open(w, r);
  return out;
}

}  // namespace

TEST_CASE("a station record is written as before the records were generated, and reads back equal") {
  CHECK(
      to_json(StationRecord{}) ==
      R"({"securityProfile":0,"invalidUsernameAllowed":false,"tolerant":false,"registrationStatus":"Accepted","bootProvisioning":false})");
  CHECK(
      to_json(station_full()) ==
      R"({"securityProfile":1,"passwordSalt":"c2FsdHNhbHRzYWx0c2FsdA==","passwordHash":"aGFzaA==","invalidUsernameAllowed":true,"tolerant":true,"registeredAt":"2025-12-02T10:40:00.123Z","registrationStatus":"Accepted","bootProvisioning":false})");
  CHECK(parse_station_record(to_json(station_full())) == station_full());
  CHECK(parse_station_record(to_json(StationRecord{})) == StationRecord{});
  // a record written before registration status and provisioning existed reads as Accepted, not provisioned
  CHECK(parse_station_record(R"({"securityProfile":0,"invalidUsernameAllowed":false,"tolerant":false})") ==
        StationRecord{});
}

TEST_CASE("a token record is written as before, optional members left out when absent, and reads back equal") {
  CHECK(
      to_json(token_minimal()) ==
      R"({"countryCode":"GB","partyId":"TWK","type":"RFID","uid":"DEADBEEF","contractId":"GBTWK012345678V","issuer":"Thoughtworks","valid":true,"cacheMode":"ALWAYS"})");
  CHECK(
      to_json(token_full()) ==
      R"({"countryCode":"GB","partyId":"TWK","type":"RFID","uid":"DEADBEEF","contractId":"GBTWK012345678V","visualNumber":"GB-TWK-012345678-V \"card\"","issuer":"Thoughtworks","groupId":"group\\1","valid":false,"languageCode":"en","cacheMode":"ALWAYS","lastUpdated":"2025-12-02T10:40:00.123Z","expiryDate":"2025-12-02T11:40:00.000Z"})");
  CHECK(parse_token_record(to_json(token_minimal())) == token_minimal());
  CHECK(parse_token_record(to_json(token_full())) == token_full());
}

TEST_CASE("a transaction record is written as before in its stored and its API form") {
  CHECK(to_json(TransactionRecord{}) ==
        R"({"csId":"","transactionId":"","protocol":"ocpp2.0.1","state":"active","events":0,"meterValueCount":0})");
  CHECK(
      to_json(transaction_full()) ==
      R"({"csId":"CS001","transactionId":"tx-é-1","protocol":"ocpp1.6","idToken":"DEADBEEF","evseId":1,"connectorId":2,"state":"ended","startedAt":"2025-12-02T10:40:00.123Z","endedAt":"2025-12-02T11:40:00.000Z","meterStartWh":1000,"meterStopWh":2500.5,"firstEnergyWh":1000.25,"firstEnergyAt":"2025-12-02T10:40:00.123Z","lastEnergyWh":2500,"lastEnergyAt":"2025-12-02T11:40:00.000Z","stopReason":"Local","lastSeqNo":0,"events":12,"meterValueCount":10,"remoteStartId":77})");
  // The API form: the energy delivered instead of the readings, left open for "meterValues".
  CHECK(
      api_json_open(transaction_full()) ==
      R"({"csId":"CS001","transactionId":"tx-é-1","protocol":"ocpp1.6","idToken":"DEADBEEF","evseId":1,"connectorId":2,"state":"ended","startedAt":"2025-12-02T10:40:00.123Z","endedAt":"2025-12-02T11:40:00.000Z","meterStartWh":1000,"meterStopWh":2500.5,"energyWh":1500.5,"stopReason":"Local","lastSeqNo":0,"events":12,"meterValueCount":10,"remoteStartId":77)");
  CHECK(api_json_open(TransactionRecord{}) ==
        R"({"csId":"","transactionId":"","protocol":"ocpp2.0.1","state":"active","events":0,"meterValueCount":0)");
  CHECK(parse_transaction_record(to_json(transaction_full())) == transaction_full());
  CHECK(parse_transaction_record(to_json(TransactionRecord{})) == TransactionRecord{});
}

TEST_CASE("certificate records are written as before, their API forms leave out the station id and the CSR") {
  CHECK(
      to_json(sign_full()) ==
      R"({"csId":"CS001","certificateType":"V2GCertificate","channel":"ocpp1.6-iso15118pnc","state":"Delivered","signer":"hubject","csr":"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n","certificateChain":"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n","certificateHash":"abc_-123","requestedAt":"2025-12-02T10:40:00.123Z","signedAt":"2025-12-02T10:40:00.124Z","deliveredAt":"2025-12-02T11:40:00.000Z","attempts":3,"renewal":true,"lastError":"station said Rejected"})");
  CHECK(
      api_json(sign_full()) ==
      R"({"certificateType":"V2GCertificate","channel":"ocpp1.6-iso15118pnc","state":"Delivered","signer":"hubject","certificateChain":"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n","certificateHash":"abc_-123","requestedAt":"2025-12-02T10:40:00.123Z","signedAt":"2025-12-02T10:40:00.124Z","deliveredAt":"2025-12-02T11:40:00.000Z","attempts":3,"renewal":true,"lastError":"station said Rejected"})");
  CHECK(to_json(SignRequestRecord{}) ==
        R"({"csId":"","certificateType":"","channel":"ocpp2.0.1","state":"","attempts":0,"renewal":false})");
  CHECK(
      to_json(install_full()) ==
      R"({"csId":"CS001","type":"V2G","certificate":"-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n","certificateHash":"hash","status":"Rejected","detail":"station answered Rejected","updatedAt":"2025-12-02T11:40:00.000Z"})");
  CHECK(
      api_json(install_full()) ==
      R"({"type":"V2G","certificate":"-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n","certificateHash":"hash","status":"Rejected","detail":"station answered Rejected","updatedAt":"2025-12-02T11:40:00.000Z"})");
  CHECK(to_json(InstallRecord{}) == R"({"csId":"","type":"","certificate":"","certificateHash":"","status":""})");
  CHECK(parse_sign_request(to_json(sign_full())) == sign_full());
  CHECK(parse_install_record(to_json(install_full())) == install_full());
}

TEST_CASE("a station's connection and last-seen records are written as before, times even when 0") {
  ConnectionRecord direct{
      .protocol = "ocpp1.6", .connected_at_ms = kT1, .remote_address = "192.0.2.7:51234", .gateway = ""};
  CHECK(to_json(direct) ==
        R"({"protocol":"ocpp1.6","connectedAt":"2025-12-02T10:40:00.123Z","remoteAddress":"192.0.2.7:51234"})");
  ConnectionRecord through_gateway = direct;
  through_gateway.protocol = "ocpp2.0.1";
  through_gateway.gateway = "gw-\"1\"";
  CHECK(
      to_json(through_gateway) ==
      R"({"protocol":"ocpp2.0.1","connectedAt":"2025-12-02T10:40:00.123Z","remoteAddress":"192.0.2.7:51234","gateway":"gw-\"1\""})");
  CHECK(to_json(ConnectionRecord{}) ==
        R"({"protocol":"","connectedAt":"1970-01-01T00:00:00.000Z","remoteAddress":""})");
  CHECK(parse_connection_record(to_json(direct)) == direct);
  CHECK(parse_connection_record(to_json(through_gateway)) == through_gateway);

  CHECK(to_json(LastSeenRecord{.last_seen_ms = kT2}) == R"({"lastSeen":"2025-12-02T11:40:00.000Z"})");
  CHECK(to_json(LastSeenRecord{}) == R"({"lastSeen":"1970-01-01T00:00:00.000Z"})");
  CHECK(parse_last_seen_record(to_json(LastSeenRecord{.last_seen_ms = kT2})) == LastSeenRecord{.last_seen_ms = kT2});
}

TEST_CASE("reports are written as before, the station's payload verbatim, and read back compact") {
  const BootRecord boot{.booted_at_ms = kT1, .payload = R"({"reason":"PowerUp","chargingStation":{"model":"M"}})"};
  CHECK(
      to_json(boot) ==
      R"({"bootedAt":"2025-12-02T10:40:00.123Z","payload":{"reason":"PowerUp","chargingStation":{"model":"M"}},"status":"Accepted"})");
  CHECK(parse_boot_record(to_json(boot)) == boot);
  // "As sent" is the station's text, spaces included; what is read back is its compact form.
  const BootRecord spaced{.booted_at_ms = kT1, .payload = "{ \"reason\": \"PowerUp\" }"};
  CHECK(to_json(spaced) ==
        R"({"bootedAt":"2025-12-02T10:40:00.123Z","payload":{ "reason": "PowerUp" },"status":"Accepted"})");
  CHECK(parse_boot_record(to_json(spaced))->payload == R"({"reason":"PowerUp"})");

  const StatusReportRecord firmware{.timestamp_ms = kT2, .payload = R"({"status":"Installed","requestId":7})"};
  CHECK(to_json(firmware) ==
        R"({"timestamp":"2025-12-02T11:40:00.000Z","payload":{"status":"Installed","requestId":7}})");
  CHECK(parse_status_report_record(to_json(firmware)) == firmware);
}

TEST_CASE("a connector's status record is written as before, 1.6 error code and info when given") {
  const ConnectorStatusRecord v201{.evse_id = 1,
                                   .connector_id = 2,
                                   .status = "Occupied",
                                   .error_code = std::nullopt,
                                   .info = std::nullopt,
                                   .timestamp_ms = kT1};
  CHECK(to_json(v201) == R"({"evseId":1,"connectorId":2,"status":"Occupied","timestamp":"2025-12-02T10:40:00.123Z"})");
  const ConnectorStatusRecord v16{.evse_id = 3,
                                  .connector_id = 3,
                                  .status = "Faulted",
                                  .error_code = "GroundFailure",
                                  .info = "RCD \"tripped\"",
                                  .timestamp_ms = kT2};
  CHECK(
      to_json(v16) ==
      R"({"evseId":3,"connectorId":3,"status":"Faulted","errorCode":"GroundFailure","info":"RCD \"tripped\"","timestamp":"2025-12-02T11:40:00.000Z"})");
  // Given but empty is still given; a station's clock at the epoch is still a timestamp.
  const ConnectorStatusRecord empty_info{
      .evse_id = 1, .connector_id = 1, .status = "Available", .error_code = "NoError", .info = "", .timestamp_ms = 0};
  CHECK(
      to_json(empty_info) ==
      R"({"evseId":1,"connectorId":1,"status":"Available","errorCode":"NoError","info":"","timestamp":"1970-01-01T00:00:00.000Z"})");
  CHECK(parse_connector_status_record(to_json(v201)) == v201);
  CHECK(parse_connector_status_record(to_json(v16)) == v16);
  CHECK(parse_connector_status_record(to_json(empty_info)) == empty_info);
}

TEST_CASE("a setting record is written as before, its detail left out when empty") {
  const SettingRecord pending{.value = "60", .status = "Pending", .detail = "", .updated_at_ms = kT1};
  CHECK(to_json(pending) == R"({"value":"60","status":"Pending","updatedAt":"2025-12-02T10:40:00.123Z"})");
  const SettingRecord rejected{.value = "a \"b\"", .status = "Rejected", .detail = "no such key", .updated_at_ms = kT2};
  CHECK(to_json(rejected) ==
        R"({"value":"a \"b\"","status":"Rejected","detail":"no such key","updatedAt":"2025-12-02T11:40:00.000Z"})");
  CHECK(parse_setting_record(to_json(pending)) == pending);
  CHECK(parse_setting_record(to_json(rejected)) == rejected);
}

TEST_CASE("an event record is written as before, its payload verbatim, an empty payload is written as null") {
  const EventRecord event{.timestamp_ms = kT1, .type = "NotifyEvent", .payload = R"({"seqNo":0,"eventData":[]})"};
  CHECK(to_json(event) ==
        R"({"timestamp":"2025-12-02T10:40:00.123Z","type":"NotifyEvent","payload":{"seqNo":0,"eventData":[]}})");
  CHECK(parse_event_record(to_json(event)) == event);
  // No caller stores an empty payload (every one is a decoded message's text); were one given, the
  // record would still be JSON.
  CHECK(to_json(EventRecord{}) == R"({"timestamp":"1970-01-01T00:00:00.000Z","type":"","payload":null})");
  CHECK(parse_event_record(to_json(EventRecord{})) == EventRecord{});
}

TEST_CASE("a damaged record reads as far as it can: a missing or mistyped member gets its default") {
  CHECK_FALSE(parse_station_record("not json").has_value());
  CHECK_FALSE(parse_token_record("[1,2]").has_value());
  CHECK_FALSE(parse_transaction_record("").has_value());

  auto station = parse_station_record(R"({"securityProfile":"two","tolerant":true,"registeredAt":"yesterday"})");
  REQUIRE(station);
  CHECK(station->security_profile == 0);
  CHECK(station->tolerant);
  CHECK(station->registered_at_ms == 0);
  CHECK(station->registration_status == "Accepted");  // an earlier node's record: every station was accepted

  // A token without "valid" authorizes nobody, although a new TokenRecord starts valid.
  auto token = parse_token_record(R"({"uid":"X","expiryDate":"2025-12-02T11:40:00Z"})");
  REQUIRE(token);
  CHECK_FALSE(token->valid);
  CHECK(TokenRecord{}.valid);
  CHECK(token->expiry_ms == kT2);
  CHECK_FALSE(token->visual_number.has_value());

  auto tx = parse_transaction_record(R"({"protocol":"ocpp9","state":"ended","lastSeqNo":"x","meterStartWh":5})");
  REQUIRE(tx);
  CHECK(tx->version == ocpp::Version::v201);
  CHECK(tx->ended);
  CHECK(tx->last_seq_no == -1);
  CHECK(tx->meter_start_wh == 5.0);

  auto sign = parse_sign_request(R"({"channel":"carrier pigeon","attempts":2})");
  REQUIRE(sign);
  CHECK(sign->channel == SignChannel::v201);
  CHECK(sign->attempts == 2);

  auto boot = parse_boot_record(R"({"bootedAt":"at boot","payload":null})");
  REQUIRE(boot);
  CHECK(boot->status == "Accepted");  // earlier nodes answered every boot Accepted
  CHECK(boot->booted_at_ms == 0);
  CHECK(boot->payload.empty());
  auto event = parse_event_record(R"({"timestamp":"2025-12-02T11:40:00Z","type":7})");
  REQUIRE(event);
  CHECK(event->timestamp_ms == kT2);
  CHECK(event->type.empty());
  CHECK(event->payload.empty());
  auto status = parse_connector_status_record(R"({"evseId":"1","connectorId":2,"errorCode":5})");
  REQUIRE(status);
  CHECK(status->evse_id == 0);
  CHECK(status->connector_id == 2);
  CHECK_FALSE(status->error_code.has_value());
  CHECK_FALSE(parse_setting_record("{\"value\":").has_value());
}
