#pragma once
// Keys of the transaction tables (layout in transactions.cpp and storage/README.md).

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

inline std::string transaction_key(std::string_view station, std::string_view id) {
  return storage::key({station, id});
}
inline std::string meter_value_prefix(std::string_view station, std::string_view transaction) {
  return storage::prefix({station, transaction});
}
inline std::string start16_key(std::string_view station, std::int64_t connector, std::string_view id_tag,
                               std::int64_t timestamp_ms, std::int64_t meter_start) {
  return storage::key({"start16", station, std::to_string(connector), id_tag, std::to_string(timestamp_ms),
                       std::to_string(meter_start)});
}
inline std::string seq_key(std::string_view station, std::string_view transaction, std::uint64_t seq_no) {
  auto k = storage::prefix({"seq", station, transaction});
  storage::append_u64(k, seq_no);
  return k;
}
/// time \0 <i64 start ms, order-preserving for times before 1970 too> <station> \0 <transaction id>
/// (store format 2; store_format.hpp migrates format 1's unsigned keys).
inline std::string time_index_prefix() { return storage::prefix({"time"}); }
inline std::string time_index_key(std::int64_t start_ms, std::string_view station, std::string_view transaction) {
  auto k = time_index_prefix();
  storage::append_i64(k, start_ms);
  k += transaction_key(station, transaction);
  return k;
}

}  // namespace evbroker::actors
