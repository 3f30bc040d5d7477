#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {
namespace {

// Plans are built with push_back only: g++ 12 at -O3 reports vector::insert of a few one-byte
// elements as an out-of-bounds memcpy (a false -Warray-bounds, GCC bug 107852).
void append(std::vector<Step>& to, Step step, std::size_t times = 1) {
  for (std::size_t i = 0; i < times; ++i) to.push_back(step);
}

void append(std::vector<Step>& to, const std::vector<Step>& steps) {
  for (Step step : steps) to.push_back(step);
}

std::vector<Step> boot_sequence(std::size_t connectors) {
  std::vector<Step> steps;
  append(steps, Step::boot);
  append(steps, Step::status_available, connectors);
  return steps;
}

/// Authorize, start, `meter_values` updates, stop.
std::vector<Step> transaction(std::size_t meter_values) {
  std::vector<Step> steps;
  append(steps, Step::authorize);
  append(steps, Step::tx_start);
  append(steps, Step::tx_meter, meter_values);
  append(steps, Step::tx_stop);
  return steps;
}

std::size_t meter_values_or(const SwarmOptions& options, std::size_t scenario_default) {
  return options.meter_values != 0 ? options.meter_values : scenario_default;
}

}  // namespace

std::string_view action_name(Step step, ocpp::Version version) noexcept {
  const bool v16 = version == ocpp::Version::v16;
  switch (step) {
    case Step::boot: return "BootNotification";
    case Step::status_available:
    case Step::status_occupied: return "StatusNotification";
    case Step::heartbeat: return "Heartbeat";
    case Step::authorize: return "Authorize";
    case Step::tx_start: return v16 ? "StartTransaction" : "TransactionEvent";
    case Step::tx_meter: return v16 ? "MeterValues" : "TransactionEvent";
    case Step::tx_stop: return v16 ? "StopTransaction" : "TransactionEvent";
    case Step::sign_certificate: return "SignCertificate";  // 1.6: the security extension's
    case Step::count_: break;
  }
  return "?";
}

ScenarioPlan make_plan(const SwarmOptions& options) {
  ScenarioPlan plan;
  plan.on_connect = boot_sequence(options.connectors);
  switch (options.scenario) {
    case ScenarioKind::boot:
      append(plan.cycle, Step::heartbeat);
      plan.idle = true;
      break;
    case ScenarioKind::storm:
      append(plan.cycle, Step::heartbeat);
      plan.idle = true;
      plan.storm = true;
      break;
    case ScenarioKind::heartbeat: append(plan.cycle, Step::heartbeat); break;
    case ScenarioKind::transactions: append(plan.cycle, transaction(meter_values_or(options, 10))); break;
    case ScenarioKind::mixed: {
      // A station's day in miniature: liveness, a car arrives, a session with periodic meter
      // values, liveness again, the car leaves. About 70% of the messages change stored state.
      append(plan.cycle, Step::heartbeat);
      append(plan.cycle, Step::status_occupied);
      append(plan.cycle, Step::authorize);
      append(plan.cycle, Step::tx_start);
      append(plan.cycle, Step::tx_meter, meter_values_or(options, 4));
      append(plan.cycle, Step::heartbeat);
      append(plan.cycle, Step::tx_stop);
      append(plan.cycle, Step::status_available);
      break;
    }
    case ScenarioKind::maeve_k6:
      // MaEVe's loadtests/ws_load_test.js: one connector, a fresh connection per iteration.
      plan.on_connect = boot_sequence(1);
      append(plan.cycle, Step::heartbeat, 3);
      append(plan.cycle, transaction(meter_values_or(options, 2)));
      plan.reconnect_each_cycle = true;
      break;
    case ScenarioKind::pnc:
      append(plan.cycle, Step::sign_certificate);
      plan.await_certificate_signed = true;
      break;
  }
  return plan;
}

}  // namespace evbroker::swarm
