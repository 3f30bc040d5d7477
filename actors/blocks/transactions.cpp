// Transactions and meter values. Every change happens inside one store operation (read, decide,
// write) on the store's writer thread, so concurrent messages about one transaction cannot
// interleave, and the answer goes out only after the commit.
//
// Idempotency (what operators of other CSMSs lost transactions to):
// - 1.6 StartTransaction re-sent after a reconnect (same station, connector, idTag, timestamp,
//   meterStart) gets the transactionId it got the first time.
// - 1.6 StopTransaction for a stopped transaction is acknowledged without a second stop; for an
//   unknown id (also -1) it is acknowledged and recorded as an event for review.
// - 2.0.1 TransactionEvents are keyed by (station, transactionId, seqNo): a replayed event changes
//   nothing and gets the same answer.
//
// Table tx_index holds the secondary keys:
//   start16 \0 <station> \0 <connector> \0 <idTag> \0 <timestamp ms> \0 <meterStart>  -> transaction id
//   seq \0 <station> \0 <transaction id> <u64 seqNo>                                   -> ""
//   active \0 <idTag>                                                 -> <station> \0 <transaction id>
//   time \0 <u64 start ms> <station> \0 <transaction id>                               -> ""

#include <cmath>
#include <cstdlib>

#include "actors/blocks/transactions.hpp"

#include "actors/blocks/authorization.hpp"
#include "actors/records/reservations.hpp"
#include "actors/blocks/blocks.hpp"
#include "actors/records/events.hpp"
#include "actors/records/transaction_keys.hpp"
#include "actors/records/records.hpp"

namespace evbroker::actors::transactions {
namespace {

using storage::Table;
using storage::WriteTxn;

std::optional<TransactionRecord> load(const storage::Reader& txn, std::string_view station, std::string_view id) {
  auto stored = txn.get(Table::transactions, transaction_key(station, id));
  return stored ? parse_transaction_record(*stored) : std::nullopt;
}

void save(WriteTxn& txn, const TransactionRecord& record, bool is_new) {
  txn.put(Table::transactions, transaction_key(record.station_id, record.transaction_id), to_json(record));
  if (is_new)
    txn.put(Table::tx_index, time_index_key(record.started_at_ms, record.station_id, record.transaction_id), "");
}

/// Stores one meter value of a transaction.
void store_meter_value(WriteTxn& txn, std::string_view station, std::string_view transaction, std::string_view json) {
  auto k = meter_value_prefix(station, transaction);
  storage::append_u64(k, txn.next("meter_value"));
  txn.put(Table::meter_values, k, json);
}

/// Stores one meter value outside any transaction (transaction id ""), within the station's budget.
void store_idle_meter_value(WriteTxn& txn, std::string_view station, std::string_view json, const Budget& budget) {
  auto k = meter_value_prefix(station, "");
  storage::append_u64(k, txn.next("meter_value"));
  put_within_budget(txn, Table::meter_values, k, json, station, BudgetKind::meter_values, budget);
}

/// The forms come from meter_value_forms of the same request; anything else is a bug of the caller.
template <class MeterValue>
void check_forms(const std::vector<MeterValue>& values, const MeterValueForms& forms) {
  if (forms.size() != values.size()) throw std::logic_error("meter value forms do not match the request");
}

// ---- energy ------------------------------------------------------------------------------------
// The energy register is the default measurand in both versions; only total (phase-less) readings
// count, converted to Wh.
void note_energy(TransactionRecord& record, double wh, std::int64_t at_ms) {
  if (!record.first_energy_wh || at_ms < record.first_energy_at_ms) {
    record.first_energy_wh = wh;
    record.first_energy_at_ms = at_ms;
  }
  if (!record.last_energy_wh || at_ms >= record.last_energy_at_ms) {
    record.last_energy_wh = wh;
    record.last_energy_at_ms = at_ms;
  }
}

void note_energy(TransactionRecord& record, const ocpp16::SampledValue& v, std::int64_t at_ms) {
  if (v.measurand && *v.measurand != ocpp16::Measurand::Energy_Active_Import_Register) return;
  if (v.phase || (v.format && *v.format == ocpp16::ValueFormat::SignedData)) return;
  char* end = nullptr;
  const double value = std::strtod(v.value.c_str(), &end);
  if (end == v.value.c_str() || !std::isfinite(value)) return;
  const auto unit = v.unit.value_or(ocpp16::UnitOfMeasure::Wh);
  if (unit == ocpp16::UnitOfMeasure::Wh)
    note_energy(record, value, at_ms);
  else if (unit == ocpp16::UnitOfMeasure::kWh)
    note_energy(record, value * 1000.0, at_ms);
}

void note_energy(TransactionRecord& record, const ocpp201::SampledValueType& v, std::int64_t at_ms) {
  if (v.measurand && *v.measurand != ocpp201::MeasurandEnumType::Energy_Active_Import_Register) return;
  if (v.phase) return;
  double value = v.value;
  std::string unit = "Wh";
  if (v.unitOfMeasure) {
    if (v.unitOfMeasure->unit) unit = *v.unitOfMeasure->unit;
    if (v.unitOfMeasure->multiplier) value *= std::pow(10.0, static_cast<double>(*v.unitOfMeasure->multiplier));
  }
  if (unit == "Wh")
    note_energy(record, value, at_ms);
  else if (unit == "kWh")
    note_energy(record, value * 1000.0, at_ms);
}

template <class MeterValue>
void store_meter_values(WriteTxn& txn, TransactionRecord& record, const std::vector<MeterValue>& values,
                        const MeterValueForms& forms) {
  check_forms(values, forms);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& mv = values[i];
    for (const auto& sv : mv.sampledValue) note_energy(record, sv, mv.timestamp.unix_ms());
    store_meter_value(txn, record.station_id, record.transaction_id, forms[i]);
    ++record.meter_values;
  }
}

void store_idle_meter_values(WriteTxn& txn, std::string_view station, const MeterValueForms& forms,
                             const Budget& budget) {
  for (const auto& json : forms) store_idle_meter_value(txn, station, json, budget);
}

template <class MeterValue>
MeterValueForms encode_each(const std::vector<MeterValue>& values) {
  MeterValueForms forms;
  forms.reserve(values.size());
  for (const auto& mv : values) forms.push_back(ocpp::to_json(mv));
  return forms;
}

}  // namespace

MeterValueForms meter_value_forms(const ocpp16::StopTransactionRequest& r) {
  return r.transactionData ? encode_each(*r.transactionData) : MeterValueForms{};
}
MeterValueForms meter_value_forms(const ocpp16::MeterValuesRequest& r) { return encode_each(r.meterValue); }
MeterValueForms meter_value_forms(const ocpp201::TransactionEventRequest& r) {
  return r.meterValue ? encode_each(*r.meterValue) : MeterValueForms{};
}
MeterValueForms meter_value_forms(const ocpp201::MeterValuesRequest& r) { return encode_each(r.meterValue); }

// ---- OCPP 1.6 ----------------------------------------------------------------------------------
std::string start_16(WriteTxn& txn, std::int64_t now, std::string_view station,
                     const ocpp16::StartTransactionRequest& r) {
  const auto dedup = start16_key(station, r.connectorId, r.idTag, r.timestamp.unix_ms(), r.meterStart);
  ocpp16::StartTransactionResponse response;
  if (auto existing = txn.get(Table::tx_index, dedup)) {
    response.transactionId = std::stoll(*existing);
    auto verdict = judge_token(txn, now, r.idTag, station, *existing);
    honour_reservation(txn, now, station, r.idTag, verdict, *existing);
    response.idTagInfo = to_id_tag_info(verdict);
    return ocpp::to_json(response);
  }
  const auto id = static_cast<std::int64_t>(txn.next("transaction16"));
  const auto id_text = std::to_string(id);
  auto verdict = judge_token(txn, now, r.idTag, station, id_text);
  honour_reservation(txn, now, station, r.idTag, verdict);
  // Judged before the reservation it uses ends here, which would no longer vouch for its token.
  if (r.reservationId) mark_reservation_used(txn, station, *r.reservationId, id_text, now);

  TransactionRecord record;
  record.station_id = std::string(station);
  record.transaction_id = id_text;
  record.version = ocpp::Version::v16;
  record.id_token = r.idTag;
  record.evse_id = r.connectorId;
  record.connector_id = r.connectorId;
  record.started_at_ms = r.timestamp.unix_ms();
  record.meter_start_wh = static_cast<double>(r.meterStart);
  record.events = 1;
  save(txn, record, true);
  txn.put(Table::tx_index, dedup, id_text);
  if (verdict.status == TokenVerdict::Status::accepted)
    txn.put(Table::tx_index, active_token_key(r.idTag), transaction_key(station, id_text));

  response.transactionId = id;
  response.idTagInfo = to_id_tag_info(verdict);
  return ocpp::to_json(response);
}

std::string stop_16(WriteTxn& txn, std::int64_t now, std::string_view station, const ocpp16::StopTransactionRequest& r,
                    const MeterValueForms& forms, std::string_view payload, const StationBudgets& budgets,
                    bool& record_lost) {
  const auto id_text = std::to_string(r.transactionId);
  ocpp16::StopTransactionResponse response;
  auto record = load(txn, station, id_text);
  if (record && r.idTag) {
    auto verdict = judge_token(txn, now, *r.idTag, station, id_text);
    honour_reservation(txn, now, station, *r.idTag, verdict, id_text);
    response.idTagInfo = to_id_tag_info(verdict);
  } else if (r.idTag)
    response.idTagInfo = to_id_tag_info(judge_token(txn, now, *r.idTag));
  if (response.idTagInfo && response.idTagInfo->status == ocpp16::AuthorizationStatus::ConcurrentTx)
    response.idTagInfo->status = ocpp16::AuthorizationStatus::Accepted;

  if (!record) {
    // Never an error: a station answered with an error retries forever. With the station's event
    // budget full the review record is not kept (logged and counted by the caller).
    record_lost = !try_record_event(txn, station, "StopTransactionUnknown", payload, budgets.events, now);
    return ocpp::to_json(response);
  }
  if (record->ended) return ocpp::to_json(response);  // a replay: acknowledged, stopped once
  record->ended = true;
  record->ended_at_ms = r.timestamp.unix_ms();
  record->meter_stop_wh = static_cast<double>(r.meterStop);
  record->stop_reason = r.reason ? std::string(ocpp16::to_string(*r.reason)) : "Local";  // 1.6 default
  record->events += 1;
  if (r.transactionData) store_meter_values(txn, *record, *r.transactionData, forms);
  save(txn, *record, false);
  const auto active = active_token_key(record->id_token);
  if (txn.get(Table::tx_index, active) == transaction_key(station, id_text)) txn.del(Table::tx_index, active);
  return ocpp::to_json(response);
}

std::string meter_values_16(WriteTxn& txn, std::string_view station, const ocpp16::MeterValuesRequest& r,
                            const MeterValueForms& forms, const StationBudgets& budgets) {
  std::optional<TransactionRecord> record;
  if (r.transactionId) record = load(txn, station, std::to_string(*r.transactionId));
  if (record) {
    record->events += 1;
    store_meter_values(txn, *record, r.meterValue, forms);
    save(txn, *record, false);
  } else {
    check_forms(r.meterValue, forms);
    store_idle_meter_values(txn, station, forms, budgets.meter_values);
  }
  return "{}";
}

// ---- OCPP 2.0.1 --------------------------------------------------------------------------------
std::string transaction_event(WriteTxn& txn, std::int64_t now, std::string_view station,
                              const ocpp201::TransactionEventRequest& r, const MeterValueForms& forms) {
  const auto& id = r.transactionInfo.transactionId;
  ocpp201::TransactionEventResponse response;
  if (r.idToken) {
    if (r.idToken->type == ocpp201::IdTokenEnumType::NoAuthorization) {
      response.idTokenInfo = ocpp201::IdTokenInfoType{};
      response.idTokenInfo->status = ocpp201::AuthorizationStatusEnumType::Accepted;
    } else {
      auto verdict = judge_token(txn, now, r.idToken->idToken, station, id);
      honour_reservation(txn, now, station, r.idToken->idToken, verdict, id);
      if (verdict.status == TokenVerdict::Status::concurrent_tx) verdict.status = TokenVerdict::Status::accepted;
      response.idTokenInfo = to_id_token_info(verdict);
    }
  }
  const auto seen = seq_key(station, id, static_cast<std::uint64_t>(r.seqNo));
  if (txn.get(Table::tx_index, seen)) return ocpp::to_json(response);  // a replay: no duplicate
  if (r.reservationId) mark_reservation_used(txn, station, *r.reservationId, id, now);

  auto record = load(txn, station, id);
  const bool is_new = !record;
  const std::int64_t indexed_start_ms = is_new ? 0 : record->started_at_ms;
  if (is_new) {
    record.emplace();
    record->station_id = std::string(station);
    record->transaction_id = id;
    record->version = ocpp::Version::v201;
    record->started_at_ms = r.timestamp.unix_ms();
  }
  if (r.eventType == ocpp201::TransactionEventEnumType::Started) record->started_at_ms = r.timestamp.unix_ms();
  if (r.eventType == ocpp201::TransactionEventEnumType::Ended) {
    record->ended = true;
    record->ended_at_ms = r.timestamp.unix_ms();
    record->stop_reason =
        r.transactionInfo.stoppedReason ? std::string(ocpp201::to_string(*r.transactionInfo.stoppedReason)) : "Local";
  }
  if (r.idToken) record->id_token = r.idToken->idToken;
  if (r.evse) {
    record->evse_id = r.evse->id;
    if (r.evse->connectorId) record->connector_id = *r.evse->connectorId;
  }
  if (r.transactionInfo.remoteStartId) record->remote_start_id = r.transactionInfo.remoteStartId;
  record->last_seq_no = std::max(record->last_seq_no, r.seqNo);
  record->events += 1;
  if (r.meterValue) store_meter_values(txn, *record, *r.meterValue, forms);
  save(txn, *record, is_new);
  if (!is_new && record->started_at_ms != indexed_start_ms) {
    // A Started event that arrives after a later event of its transaction (an offline queue sent
    // out of order) moves the transaction to its real start in the time index.
    txn.del(Table::tx_index, time_index_key(indexed_start_ms, station, id));
    txn.put(Table::tx_index, time_index_key(record->started_at_ms, station, id), "");
  }
  txn.put(Table::tx_index, seen, "");
  return ocpp::to_json(response);
}

std::string meter_values_201(WriteTxn& txn, std::string_view station, const ocpp201::MeterValuesRequest& r,
                             const MeterValueForms& forms, const StationBudgets& budgets) {
  // 2.0.1 MeterValues are outside transactions (those come in TransactionEvent).
  check_forms(r.meterValue, forms);
  store_idle_meter_values(txn, station, forms, budgets.meter_values);
  return "{}";
}

}  // namespace evbroker::actors::transactions

namespace evbroker::actors {

void handle_transactions(const NodeContext& ctx, const IncomingCall& call) {
  // The typed request is shared with the operation, which runs later on the store's thread; the
  // meter values are encoded here, before it (see MeterValueForms).
  const std::string station = call.station_id;
  const StationBudgets budgets = ctx.settings.budgets;
  const std::int64_t now = ctx.clock->now_ms();  // when the message arrived: token expiries, event stamps
  using namespace transactions;
  const auto forms_of = [](const auto& request) {
    return std::visit(
        [](const auto& r) {
          if constexpr (requires { meter_value_forms(r); })
            return meter_value_forms(r);
          else
            return MeterValueForms{};  // StartTransaction carries none; other messages are not routed here
        },
        request);
  };
  if (call.v16) {
    auto request = call.v16;
    auto forms = std::make_shared<const MeterValueForms>(forms_of(*request));
    auto payload = call.payload;
    auto log = ctx.handler_log;
    auto* metrics = ctx.metrics;
    return commit_then_reply(ctx, call, [station, request, forms, payload, budgets, log, metrics, now](WriteTxn& txn) {
      return std::visit(
          Overloaded{
              [&](const ocpp16::StartTransactionRequest& r) { return start_16(txn, now, station, r); },
              [&](const ocpp16::StopTransactionRequest& r) {
                bool record_lost = false;
                auto response = stop_16(txn, now, station, r, *forms, payload, budgets, record_lost);
                if (record_lost) {
                  if (metrics) metrics->budget_refusal();
                  log->warn("{}: StopTransaction for unknown transaction {} acknowledged; {}", station, r.transactionId,
                            budget_full_message(station, BudgetKind::events, budgets.events));
                }
                return response;
              },
              [&](const ocpp16::MeterValuesRequest& r) { return meter_values_16(txn, station, r, *forms, budgets); },
              [&](const auto&) -> std::string { throw std::logic_error("not a transaction message"); },
          },
          *request);
    });
  }
  auto request = call.v201;
  auto forms = std::make_shared<const MeterValueForms>(forms_of(*request));
  commit_then_reply(ctx, call, [station, request, forms, budgets, now](WriteTxn& txn) {
    return std::visit(
        Overloaded{
            [&](const ocpp201::TransactionEventRequest& r) { return transaction_event(txn, now, station, r, *forms); },
            [&](const ocpp201::MeterValuesRequest& r) { return meter_values_201(txn, station, r, *forms, budgets); },
            [&](const auto&) -> std::string { throw std::logic_error("not a transaction message"); },
        },
        *request);
  });
}

}  // namespace evbroker::actors
