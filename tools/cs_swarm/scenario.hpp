#pragma once
// What a simulated station sends, as data: the steps after every (re)connect (the boot sequence)
// and the cycle it then repeats. Steps are version-neutral; messages_16/messages_201 turn a step
// into the payload of that version (tx_start is StartTransaction in 1.6 and TransactionEvent
// Started in 2.0.1).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/version.hpp"
#include "tools/cs_swarm/options.hpp"

namespace evbroker::swarm {

enum class Step : std::uint8_t {
  boot,              // BootNotification
  status_available,  // StatusNotification, connector Available (at boot: one per connector)
  status_occupied,   // StatusNotification, connector 1 Occupied (1.6: Preparing)
  heartbeat,
  authorize,
  tx_start,          // 1.6 StartTransaction / 2.0.1 TransactionEvent Started
  tx_meter,          // 1.6 MeterValues / 2.0.1 TransactionEvent Updated, with sampled values
  tx_stop,           // 1.6 StopTransaction / 2.0.1 TransactionEvent Ended
  sign_certificate,  // SignCertificate with a CSR for the station id (pnc)
  count_
};
inline constexpr std::size_t kStepCount = static_cast<std::size_t>(Step::count_);

/// The OCPP action a step sends in `version`.
std::string_view action_name(Step step, ocpp::Version version) noexcept;

struct ScenarioPlan {
  std::vector<Step> on_connect;  // after every websocket open; the boot sequence
  std::vector<Step> cycle;       // then repeated until the run ends
  /// The cycle is idle traffic: paced by the heartbeat interval rather than sent back to back.
  bool idle = false;
  /// Close the connection and reconnect at the end of every cycle (MaEVe's k6 flow does).
  bool reconnect_each_cycle = false;
  /// Every station drops its connection at once after the ramp (+ --storm-after) and reconnects.
  bool storm = false;
  /// An accepted SignCertificate is followed by the server's CertificateSigned CALL: the station
  /// waits for it, then pauses --pnc-interval before the next cycle (pnc).
  bool await_certificate_signed = false;
};

/// The plan of a scenario with the options that shape it (connectors, meter values per transaction).
ScenarioPlan make_plan(const SwarmOptions& options);

}  // namespace evbroker::swarm
