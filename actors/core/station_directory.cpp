#include "actors/core/station_directory.hpp"

namespace evbroker::actors {

std::optional<StationDirectory::Entry> StationDirectory::attach(const std::string& station_id, Entry entry) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(station_id, entry);
  if (inserted) return std::nullopt;
  Entry previous = std::move(it->second);
  it->second = std::move(entry);
  return previous;
}

bool StationDirectory::detach(const std::string& station_id, const StationActor& actor) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(station_id);
  if (it == entries_.end() || it->second.actor != actor) return false;
  entries_.erase(it);
  return true;
}

std::optional<StationDirectory::Entry> StationDirectory::find(const std::string& station_id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(station_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::size_t StationDirectory::count(ocpp::Version version) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, entry] : entries_) n += entry.version == version ? 1 : 0;
  return n;
}

std::size_t StationDirectory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::vector<StationActor> StationDirectory::actors() const {
  std::lock_guard lock(mutex_);
  std::vector<StationActor> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(entry.actor);
  return out;
}

std::vector<std::string> StationDirectory::ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(id);
  return out;
}

}  // namespace evbroker::actors
