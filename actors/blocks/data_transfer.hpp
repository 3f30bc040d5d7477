#pragma once
// The data-transfer block's rule (data_transfer.cpp): a DataTransfer from a vendor the node does not
// know is kept as an event for an operator. handle_data_transfer answers the message; unit tests run
// it on the in-memory store and on LMDB (tests/actors/data_transfer_block_test.cpp).

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/records/station_budget.hpp"
#include "protocol/version.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors::data_transfer {

struct Outcome {
  std::string answer;    // the DataTransfer response JSON of the station's version
  bool refused = false;  // the event budget was full: not kept, answered Rejected
};

/// Keeps the message (`payload` as sent) as a "DataTransfer" event and answers UnknownVendorId, as
/// both specifications ask for an unknown vendor; with the station's event budget full, keeps nothing
/// and answers Rejected with why (1.6 in data, 2.0.1 in statusInfo, reasonCode StorageFull).
Outcome record(storage::WriteTxn& txn, ocpp::Version version, std::string_view station, std::string_view payload,
               const Budget& budget, std::int64_t at_ms);

}  // namespace evbroker::actors::data_transfer
