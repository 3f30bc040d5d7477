#include "actors/blocks/retention.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <vector>

#include "actors/blocks/handler_kit.hpp"
#include "actors/records/json_read.hpp"
#include "actors/core/messages.hpp"
#include "actors/records/record_json.hpp"
#include "actors/records/station_budget.hpp"

namespace evbroker::actors {
namespace {

constexpr std::size_t kKeysPerOperation = 1000;
/// Found per pass at most (memory); a pass that finds this many is followed by another at once.
constexpr std::size_t kKeysPerPass = 100000;
constexpr std::chrono::seconds kFirstPass{60};
constexpr std::chrono::seconds kLongestInterval{3600};

/// The first key after every key of `station` (its prefix "<id>\0" with the NUL raised to 1).
std::string after_station(std::string_view station) {
  std::string next(station);
  next.push_back('\x01');
  return next;
}

std::chrono::seconds interval(std::chrono::seconds retention) {
  return std::clamp(retention / 2, std::chrono::seconds(1), kLongestInterval);
}

}  // namespace

std::size_t delete_events_before(const NodeContext& ctx, std::int64_t cutoff_ms) {
  // Key layout (transaction_keys.hpp): <station> \0 <u64 sequence>; value {"timestamp": when we
  // recorded it, ...}. Sequence order is recording order, so per station the old ones come first.
  std::vector<std::pair<std::string, std::string>> doomed;  // station, key
  {
    auto reader = ctx.store->read();
    std::string start;
    bool more = true;
    while (more) {
      more = false;
      std::string next_start;
      reader.scan(
          storage::Table::events, "",
          [&](std::string_view key, std::string_view value) {
            const auto station = key.substr(0, key.find('\0'));
            simdjson::dom::object o;
            std::int64_t recorded = 0;
            if (json::thread_parser().parse(value.data(), value.size()).get(o) == simdjson::SUCCESS)
              recorded = record_json::parse_time(o, "timestamp");
            if (recorded != 0 && recorded < cutoff_ms) {
              doomed.emplace_back(std::string(station), std::string(key));
              return doomed.size() < kKeysPerPass;
            }
            next_start = after_station(station);  // this station's remaining events are younger
            more = true;
            return false;
          },
          start);
      start = std::move(next_start);
      if (doomed.size() >= kKeysPerPass) break;
    }
  }
  for (std::size_t at = 0; at < doomed.size(); at += kKeysPerOperation) {
    std::vector<std::pair<std::string, std::string>> batch(
        doomed.begin() + static_cast<std::ptrdiff_t>(at),
        doomed.begin() + static_cast<std::ptrdiff_t>(std::min(doomed.size(), at + kKeysPerOperation)));
    ctx.committer->submit(
        [batch = std::move(batch)](storage::WriteTxn& txn) {
          for (const auto& [station, key] : batch)
            del_within_budget(txn, storage::Table::events, key, station, BudgetKind::events);
        },
        [log = ctx.handler_log](const std::string& error) {
          if (!error.empty()) log->error("deleting old events failed: {}", error);
        });
  }
  return doomed.size();
}

RetentionActor::behavior_type retention_actor(RetentionActor::pointer self, NodeContextPtr ctx) {
  const auto retention = ctx->settings.event_retention;
  if (retention.count() > 0) self->delayed_send(self, std::min(kFirstPass, interval(retention)), sweep_atom::value);
  return {
      [self, ctx, retention](sweep_atom) {
        const auto cutoff =
            ctx->clock->now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
        const auto deleted = delete_events_before(*ctx, cutoff);
        if (deleted > 0)
          ctx->handler_log->info("retention: deleting {} events older than {} s", deleted, retention.count());
        // A full pass leaves more behind: the next one follows shortly (the writer paces it).
        self->delayed_send(self, deleted >= kKeysPerPass ? std::chrono::seconds(1) : interval(retention),
                           sweep_atom::value);
      },
      [self](stop_atom) { self->quit(); },
  };
}

}  // namespace evbroker::actors
