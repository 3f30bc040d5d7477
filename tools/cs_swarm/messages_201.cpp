// OCPP 2.0.1 payloads of the simulated station.

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
  double value;
};

// Energy comes first and is replaced by the register; the rest are plausible 11 kW AC values.
constexpr std::array<Sample, 10> kSamples = {{
    {"Energy.Active.Import.Register", nullptr, "Wh", 0},
    {"Power.Active.Import", nullptr, "W", 11040},
    {"Current.Import", "L1", "A", 16.02},
    {"Current.Import", "L2", "A", 15.98},
    {"Current.Import", "L3", "A", 16.1},
    {"Voltage", "L1-N", "V", 230.4},
    {"Voltage", "L2-N", "V", 229.8},
    {"Voltage", "L3-N", "V", 231.1},
    {"SoC", nullptr, "Percent", 57},
    {"Frequency", nullptr, "Hz", 50.01},
}};

ocpp::DateTime now() {
  return ocpp::DateTime{std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())};
}

void id_token(ocpp::JsonWriter& w, const StationFacts& f) {
  w.raw(R"("idToken":{"idToken":)");
  w.string(f.id_tag);
  w.raw(R"(,"type":"ISO14443"})");
}

void meter_value(ocpp::JsonWriter& w, const StationFacts& f, std::size_t samples, const char* context) {
  w.raw(R"("meterValue":[{"timestamp":)");
  w.date_time(now());
  w.raw(R"(,"sampledValue":[)");
  for (std::size_t i = 0; i < samples && i < kSamples.size(); ++i) {
    const auto& s = kSamples[i];
    if (i) w.raw(',');
    w.raw(R"({"value":)");
    w.number(i == 0 ? f.meter_wh : s.value);
    w.raw(R"(,"context":")");
    w.raw(context);
    w.raw(R"(","measurand":")");
    w.raw(s.measurand);
    w.raw('"');
    if (s.phase) {
      w.raw(R"(,"phase":")");
      w.raw(s.phase);
      w.raw('"');
    }
    w.raw(R"(,"location":")");
    w.raw(i == 8 ? "EV" : "Outlet");
    w.raw(R"(","unitOfMeasure":{"unit":")");
    w.raw(s.unit);
    w.raw(R"("}})");
  }
  w.raw("]}]");
}

void transaction_event(ocpp::JsonWriter& w, const StationFacts& f, const char* type, const char* trigger,
                       const char* charging_state, const char* stopped_reason) {
  w.raw(R"({"eventType":")");
  w.raw(type);
  w.raw(R"(","timestamp":)");
  w.date_time(now());
  w.raw(R"(,"triggerReason":")");
  w.raw(trigger);
  w.raw(R"(","seqNo":)");
  w.integer(f.seq_no);
  w.raw(R"(,"transactionInfo":{"transactionId":)");
  w.string(f.transaction_201);
  w.raw(R"(,"chargingState":")");
  w.raw(charging_state);
  w.raw('"');
  if (stopped_reason) {
    w.raw(R"(,"stoppedReason":")");
    w.raw(stopped_reason);
    w.raw('"');
  }
  w.raw("},");
  if (std::string_view(type) == "Started") {
    id_token(w, f);
    w.raw(',');
  }
  w.raw(R"("evse":{"id":1,"connectorId":1},)");
  const bool periodic = std::string_view(type) == "Updated";
  meter_value(w, f, periodic ? f.sampled_values : 1,
              periodic ? "Sample.Periodic" : (stopped_reason ? "Transaction.End" : "Transaction.Begin"));
  w.raw('}');
}

void status(ocpp::JsonWriter& w, const StationFacts& f, const char* connector_status) {
  w.raw(R"({"timestamp":)");
  w.date_time(now());
  w.raw(R"(,"connectorStatus":")");
  w.raw(connector_status);
  w.raw(R"(","evseId":)");
  w.integer(f.connector);
  w.raw(R"(,"connectorId":1})");
}

}  // namespace

void write_payload_201(Step step, const StationFacts& f, std::string& out) {
  ocpp::JsonWriter w(out);
  switch (step) {
    case Step::boot:
      w.raw(R"({"chargingStation":{"model":"cs_swarm","vendorName":"evbroker","firmwareVersion":"1.0.0"},)"
            R"("reason":"PowerUp"})");
      break;
    case Step::status_available: status(w, f, "Available"); break;
    case Step::status_occupied: status(w, f, "Occupied"); break;
    case Step::heartbeat: w.raw("{}"); break;
    case Step::authorize:
      w.raw('{');
      id_token(w, f);
      w.raw('}');
      break;
    case Step::tx_start: transaction_event(w, f, "Started", "Authorized", "Charging", nullptr); break;
    case Step::tx_meter: transaction_event(w, f, "Updated", "MeterValuePeriodic", "Charging", nullptr); break;
    case Step::tx_stop: transaction_event(w, f, "Ended", "EVCommunicationLost", "Idle", "EVDisconnected"); break;
    case Step::sign_certificate:
      w.raw(R"({"csr":)");
      w.string(f.csr);
      w.raw(R"(,"certificateType":"ChargingStationCertificate"})");
      break;
    case Step::count_: break;
  }
}

}  // namespace evbroker::swarm
