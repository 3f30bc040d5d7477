#include "actors/records/records.hpp"

namespace evbroker::actors {

std::optional<double> TransactionRecord::energy_wh() const {
  if (!ended) return std::nullopt;
  if (meter_start_wh && meter_stop_wh) return *meter_stop_wh - *meter_start_wh;
  if (first_energy_wh && last_energy_wh) return *last_energy_wh - *first_energy_wh;
  return std::nullopt;
}

}  // namespace evbroker::actors
