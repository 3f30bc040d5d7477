#pragma once
// The transaction block's logic (transactions.cpp): each station message about transactions and
// meter values as one function over a store operation, the station's id, the time the message
// arrived, the stored forms of its meter values and the station's budgets, returning the response
// JSON. handle_transactions runs them
// on the store's writer thread and answers once the operation has committed; unit tests run them
// on the in-memory store and on LMDB (tests/actors/transactions_block_test.cpp). The rules they
// keep (idempotency, replays, energy) are listed at the top of transactions.cpp.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/records/station_budget.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors::transactions {

/// The stored JSON form of each meter value a message carries, in the message's order. It is
/// encoded before the store operation (meter_value_forms, on the handler's thread) because the
/// operation runs on the store's writer thread, one for the whole node: there it should only read,
/// decide and write.
using MeterValueForms = std::vector<std::string>;
MeterValueForms meter_value_forms(const ocpp16::StopTransactionRequest& request);
MeterValueForms meter_value_forms(const ocpp16::MeterValuesRequest& request);
MeterValueForms meter_value_forms(const ocpp201::TransactionEventRequest& request);
MeterValueForms meter_value_forms(const ocpp201::MeterValuesRequest& request);

/// 1.6 StartTransaction: a new transaction id, or the first one's for a re-sent start.
std::string start_16(storage::WriteTxn& txn, std::int64_t now_ms, std::string_view station,
                     const ocpp16::StartTransactionRequest& request);
/// 1.6 StopTransaction: stops once. An unknown id is acknowledged and kept as a
/// StopTransactionUnknown event for review; `review_record_lost` is set when the station's event
/// budget had no room for it.
std::string stop_16(storage::WriteTxn& txn, std::int64_t now_ms, std::string_view station,
                    const ocpp16::StopTransactionRequest& request, const MeterValueForms& forms,
                    std::string_view payload, const StationBudgets& budgets, bool& review_record_lost);
/// 1.6 MeterValues: into the transaction they name, or as the station's idle meter values.
std::string meter_values_16(storage::WriteTxn& txn, std::string_view station, const ocpp16::MeterValuesRequest& request,
                            const MeterValueForms& forms, const StationBudgets& budgets);
/// 2.0.1 TransactionEvent: a replayed (transactionId, seqNo) changes nothing and gets the same answer.
std::string transaction_event(storage::WriteTxn& txn, std::int64_t now_ms, std::string_view station,
                              const ocpp201::TransactionEventRequest& request, const MeterValueForms& forms);
/// 2.0.1 MeterValues (outside transactions).
std::string meter_values_201(storage::WriteTxn& txn, std::string_view station,
                             const ocpp201::MeterValuesRequest& request, const MeterValueForms& forms,
                             const StationBudgets& budgets);

}  // namespace evbroker::actors::transactions
