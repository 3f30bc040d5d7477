#pragma once
// The payload of each step, per OCPP version, written with the protocol layer's JsonWriter. The
// payloads are realistic (a 2.0.1 meter value carries energy, power, three currents, three voltages,
// state of charge and frequency) so the server does the work a real charger causes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {

/// What a payload needs to know about its station.
struct StationFacts {
  std::string_view station_id;
  std::string_view id_tag;          // the authorization token uid
  std::uint32_t connector = 1;      // for status steps
  std::size_t sampled_values = 10;  // per meter value
  // the transaction in progress
  std::int64_t transaction_16 = 0;   // 1.6: from the StartTransaction answer
  std::string_view transaction_201;  // 2.0.1: chosen by the station
  std::int64_t seq_no = 0;           // 2.0.1: per transaction
  double meter_wh = 0;               // energy register
  std::string_view csr;              // PEM, for SignCertificate
};

/// Appends the JSON payload of `step` to `out`.
void write_payload_16(Step step, const StationFacts& facts, std::string& out);
void write_payload_201(Step step, const StationFacts& facts, std::string& out);

}  // namespace evbroker::swarm
