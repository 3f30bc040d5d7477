#include "storage/memory_store.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

namespace evbroker::storage {
namespace {

/// LMDB's limit for the default page size (mdb_env_get_maxkeysize).
constexpr std::size_t kMaxKeyBytes = 511;

bool storable(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyBytes; }

using Table_ = std::map<std::string, std::string, std::less<>>;
using AllTables = std::array<Table_, static_cast<std::size_t>(Table::count_)>;

/// Reads and writes one set of tables; the store hands it either the committed tables (reads) or
/// the ones an operation is changing.
class MemoryTxn final : public WriteTxn {
 public:
  explicit MemoryTxn(AllTables& tables) : tables_(tables) {}

  std::optional<std::string> get(Table table, std::string_view key) const override {
    const auto& t = of(table);
    auto it = t.find(key);
    if (it == t.end()) return std::nullopt;
    return it->second;
  }

  std::size_t scan(Table table, std::string_view prefix, const ScanFn& fn, std::string_view start) const override {
    if (prefix.size() > kMaxKeyBytes) return 0;
    const auto& t = of(table);
    std::size_t calls = 0;
    const std::string_view from = !start.empty() && start > prefix ? start : prefix;
    for (auto it = t.lower_bound(from); it != t.end() && std::string_view(it->first).starts_with(prefix); ++it) {
      ++calls;
      if (!fn(it->first, it->second)) break;
    }
    return calls;
  }

  std::size_t scan_reverse(Table table, std::string_view prefix, const ScanFn& fn) const override {
    if (prefix.size() > kMaxKeyBytes) return 0;
    const auto& t = of(table);
    std::size_t calls = 0;
    for (auto it = t.rbegin(); it != t.rend(); ++it) {
      std::string_view key = it->first;
      if (key > prefix && !key.starts_with(prefix)) continue;  // after the prefix's range
      if (!key.starts_with(prefix)) break;                     // before it
      ++calls;
      if (!fn(key, it->second)) break;
    }
    return calls;
  }

  std::size_t count(Table table) const override { return of(table).size(); }

  void put(Table table, std::string_view key, std::string_view value) override {
    if (!storable(key)) {
      throw StoreError("put into table " + std::string(table_name(table)) + ": key of " + std::to_string(key.size()) +
                       " bytes (must be 1 to " + std::to_string(kMaxKeyBytes) + ")");
    }
    of(table).insert_or_assign(std::string(key), std::string(value));
  }

  bool del(Table table, std::string_view key) override {
    auto& t = of(table);
    auto it = t.find(key);
    if (it == t.end()) return false;
    t.erase(it);
    return true;
  }

  std::size_t del_prefix(Table table, std::string_view prefix) override {
    if (prefix.size() > kMaxKeyBytes) return 0;
    auto& t = of(table);
    auto first = t.lower_bound(prefix);
    auto last = first;
    std::size_t deleted = 0;
    while (last != t.end() && std::string_view(last->first).starts_with(prefix)) {
      ++last;
      ++deleted;
    }
    t.erase(first, last);
    return deleted;
  }

  std::uint64_t next(std::string_view counter) override {
    std::uint64_t value = 0;
    if (auto stored = get(Table::counters, counter)) {
      if (stored->size() != 8) {
        throw StoreError("counter '" + std::string(counter) + "' holds " + std::to_string(stored->size()) +
                         " bytes, not 8");
      }
      for (std::size_t i = 8; i-- > 0;) value = (value << 8) | static_cast<unsigned char>((*stored)[i]);
    }
    ++value;
    std::string bytes(8, '\0');
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    put(Table::counters, counter, bytes);
    return value;
  }

 private:
  Table_& of(Table table) const { return tables_[static_cast<std::size_t>(table)]; }
  AllTables& tables_;
};

void append_escaped(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
}

}  // namespace

struct MemoryStore::Tables {
  AllTables committed;
  MemoryTxn reads{committed};
};

MemoryStore::MemoryStore() : tables_(std::make_unique<Tables>()) {}
MemoryStore::~MemoryStore() = default;

const Reader& MemoryStore::reader() const { return tables_->reads; }

void MemoryStore::write(const WriteOp& op) {
  // The operation works on a copy, which replaces the committed tables only when it returns: a
  // throw leaves them as they were (tests hold a few hundred entries, so copying is cheap).
  AllTables changed = tables_->committed;
  MemoryTxn txn(changed);
  op(txn);
  tables_->committed = std::move(changed);
}

std::string describe_contents(const Reader& reader) {
  std::string out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Table::count_); ++i) {
    const auto table = static_cast<Table>(i);
    reader.scan(table, "", [&](std::string_view key, std::string_view value) {
      out += table_name(table);
      out += ' ';
      append_escaped(out, key);
      out += " = ";
      append_escaped(out, value);
      out += '\n';
      return true;
    });
  }
  return out;
}

}  // namespace evbroker::storage
