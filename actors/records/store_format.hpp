#pragma once
// The layout of the node's records in the store has a version (storage/README.md "Formats"); a node
// brings an older store to its own format at start and refuses a newer one.
//   1  the first layout (no marker)
//   2  tx_index time keys in signed order (transactions before 1970); per-station storage usage
//      (station_budget.hpp) counted for what format 1 stored

#include <cstdint>
#include <optional>
#include <string>

#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

inline constexpr std::uint64_t kStoreFormat = 2;

/// Runs the migrations from the stored format to kStoreFormat, each as one transaction (a crash
/// half-way leaves the older format, and the next start runs it again). Blocks until done. Returns
/// the problem when the store is newer than this node or a migration failed. `from` gets the format
/// found: 0 for a new store.
std::optional<std::string> migrate_store(const storage::Store& store, storage::GroupCommitter& committer,
                                         std::uint64_t* from = nullptr);

}  // namespace evbroker::actors
