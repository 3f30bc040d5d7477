#include "protocol/transport/http_connections.hpp"

namespace evbroker::transport::detail {

ConnectionTable::Admit ConnectionTable::admit(const std::shared_ptr<TrackedConnection>& connection) {
  std::shared_ptr<TrackedConnection> victim;
  {
    std::lock_guard lock(mutex_);
    if (stopped()) return Admit::refused;
    if (max_ != 0 && open_.size() >= max_) {
      victim = claim_victim();
      if (!victim) {
        refusals_.fetch_add(1, std::memory_order_relaxed);
        return Admit::refused;
      }
      open_.erase(victim.get());  // its place is the newcomer's from now on
      evictions_.fetch_add(1, std::memory_order_relaxed);
    }
    open_.insert_or_assign(connection.get(), connection);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
  if (victim) victim->evicted();
  return Admit::admitted;
}

std::shared_ptr<TrackedConnection> ConnectionTable::claim_victim() {
  // A scan per connection accepted at the limit: max_connections is small (hundreds), and a
  // heap would need the connections' strands to stay ordered.
  for (;;) {
    std::shared_ptr<TrackedConnection> oldest;
    std::int64_t oldest_since = 0;
    for (auto it = open_.begin(); it != open_.end();) {
      auto candidate = it->second.lock();
      if (!candidate) {  // destroyed without removing itself (its io_context went away)
        it = open_.erase(it);
        continue;
      }
      const std::int64_t since = candidate->status_.load(std::memory_order_acquire);
      if (since >= TrackedConnection::kLingering && (!oldest || since < oldest_since)) {
        oldest = std::move(candidate);
        oldest_since = since;
      }
      ++it;
    }
    if (!oldest) return nullptr;
    std::int64_t expected = oldest_since;
    if (oldest->status_.compare_exchange_strong(expected, TrackedConnection::kEvicted, std::memory_order_acq_rel)) {
      return oldest;
    }
    // It changed under us (became busy, or waits anew): look again. Every retry follows a
    // transition of some connection, so this ends.
  }
}

void ConnectionTable::remove(const TrackedConnection* connection) {
  std::lock_guard lock(mutex_);
  open_.erase(connection);
}

std::vector<std::shared_ptr<TrackedConnection>> ConnectionTable::stop_and_snapshot() {
  std::lock_guard lock(mutex_);
  stopped_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<TrackedConnection>> out;
  out.reserve(open_.size());
  for (const auto& entry : open_) {
    if (auto connection = entry.second.lock()) out.push_back(std::move(connection));
  }
  return out;
}

HttpServerStats ConnectionTable::stats() const {
  HttpServerStats out;
  {
    std::lock_guard lock(mutex_);
    out.open_connections = open_.size();
  }
  out.accepted = accepted_.load(std::memory_order_relaxed);
  out.evictions = evictions_.load(std::memory_order_relaxed);
  out.refusals = refusals_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace evbroker::transport::detail
