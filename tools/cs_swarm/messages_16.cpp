// OCPP 1.6 payloads of the simulated station.

#include <array>
#include <chrono>

#include "protocol/json_writer.hpp"
#include "tools/cs_swarm/messages.hpp"

namespace evbroker::swarm {
namespace {

struct Sample {
  const char* measurand;
  const char* phase;  // nullptr: none
  const char* unit;
  const char* value;
};

// The same readings as the 2.0.1 station; 1.6 has no Hz unit, so frequency goes without one.
constexpr std::array<Sample, 10> kSamples = {{
    {"Energy.Active.Import.Register", nullptr, "Wh", nullptr},
    {"Power.Active.Import", nullptr, "W", "11040"},
    {"Current.Import", "L1", "A", "16.02"},
    {"Current.Import", "L2", "A", "15.98"},
    {"Current.Import", "L3", "A", "16.1"},
    {"Voltage", "L1-N", "V", "230.4"},
    {"Voltage", "L2-N", "V", "229.8"},
    {"Voltage", "L3-N", "V", "231.1"},
    {"SoC", nullptr, "Percent", "57"},
    {"Frequency", nullptr, nullptr, "50.01"},
}};

ocpp::DateTime now() {
  return ocpp::DateTime{std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())};
}

std::int64_t whole_wh(const StationFacts& f) { return static_cast<std::int64_t>(f.meter_wh); }

void meter_values(ocpp::JsonWriter& w, const StationFacts& f) {
  w.raw(R"({"connectorId":1,"transactionId":)");
  w.integer(f.transaction_16);
  w.raw(R"(,"meterValue":[{"timestamp":)");
  w.date_time(now());
  w.raw(R"(,"sampledValue":[)");
  for (std::size_t i = 0; i < f.sampled_values && i < kSamples.size(); ++i) {
    const auto& s = kSamples[i];
    if (i) w.raw(',');
    w.raw(R"({"value":)");
    if (s.value)
      w.string(s.value);
    else
      w.string(std::to_string(whole_wh(f)));
    w.raw(R"(,"context":"Sample.Periodic","format":"Raw","measurand":")");
    w.raw(s.measurand);
    w.raw('"');
    if (s.phase) {
      w.raw(R"(,"phase":")");
      w.raw(s.phase);
      w.raw('"');
    }
    w.raw(R"(,"location":")");
    w.raw(i == 8 ? "EV" : "Outlet");
    w.raw('"');
    if (s.unit) {
      w.raw(R"(,"unit":")");
      w.raw(s.unit);
      w.raw('"');
    }
    w.raw('}');
  }
  w.raw("]}]}");
}

void status(ocpp::JsonWriter& w, const StationFacts& f, const char* connector_status) {
  w.raw(R"({"connectorId":)");
  w.integer(f.connector);
  w.raw(R"(,"errorCode":"NoError","status":")");
  w.raw(connector_status);
  w.raw(R"(","timestamp":)");
  w.date_time(now());
  w.raw('}');
}

}  // namespace

void write_payload_16(Step step, const StationFacts& f, std::string& out) {
  ocpp::JsonWriter w(out);
  switch (step) {
    case Step::boot:
      w.raw(R"({"chargePointVendor":"evbroker","chargePointModel":"cs_swarm","firmwareVersion":"1.0.0"})");
      break;
    case Step::status_available: status(w, f, "Available"); break;
    case Step::status_occupied: status(w, f, "Preparing"); break;
    case Step::heartbeat: w.raw("{}"); break;
    case Step::authorize:
      w.raw(R"({"idTag":)");
      w.string(f.id_tag);
      w.raw('}');
      break;
    case Step::tx_start:
      w.raw(R"({"connectorId":1,"idTag":)");
      w.string(f.id_tag);
      w.raw(R"(,"meterStart":)");
      w.integer(whole_wh(f));
      w.raw(R"(,"timestamp":)");
      w.date_time(now());
      w.raw('}');
      break;
    case Step::tx_meter: meter_values(w, f); break;
    case Step::tx_stop:
      w.raw(R"({"transactionId":)");
      w.integer(f.transaction_16);
      w.raw(R"(,"idTag":)");
      w.string(f.id_tag);
      w.raw(R"(,"meterStop":)");
      w.integer(whole_wh(f));
      w.raw(R"(,"timestamp":)");
      w.date_time(now());
      w.raw(R"(,"reason":"EVDisconnected"})");
      break;
    case Step::sign_certificate:
      w.raw(R"({"csr":)");
      w.string(f.csr);
      w.raw('}');
      break;
    case Step::count_: break;
  }
}

}  // namespace evbroker::swarm
