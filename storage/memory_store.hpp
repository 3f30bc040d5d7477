#pragma once
// The store's tables in memory, with the semantics of the LMDB store (lmdb_store.hpp): the same
// Reader and WriteTxn, keys of 1 to 511 bytes, counters as 8 bytes little endian, an operation
// that throws undone as a whole. For unit tests of the functional blocks, whose logic is functions
// over a WriteTxn: they run here without a data directory, fsync or writer thread, and the same
// sequences also run on LMDB with the contents compared (tests/actors/transactions_block_test.cpp),
// which keeps the two honest with each other. Not for the node: nothing here is durable.

#include <cstddef>
#include <memory>
#include <string>

#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::storage {

class MemoryStore {
 public:
  MemoryStore();
  ~MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  /// The committed contents (what a ReadTxn of the LMDB store would see after the same writes).
  const Reader& reader() const;
  /// Runs `op` as one operation, as a GroupCommitter batch of one: its changes are kept when it
  /// returns and undone, counter increments included, when it throws (the exception propagates).
  void write(const WriteOp& op);

 private:
  struct Tables;
  std::unique_ptr<Tables> tables_;
};

/// Every entry of every table, in table then key order, one line each ("table key = value"), bytes
/// outside printable ASCII as \xNN: two stores with the same contents give the same text.
std::string describe_contents(const Reader& reader);

}  // namespace evbroker::storage
