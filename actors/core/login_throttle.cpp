#include "actors/core/login_throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace evbroker::actors {

std::string LoginThrottle::source_of(std::string_view remote_address) {
  std::string host(remote_address);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos : host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
    host.resize(colon);  // "a.b.c.d:port"
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    unsigned char bytes[16];
    std::memcpy(bytes, &v6, sizeof bytes);
    const bool v4_mapped = std::all_of(bytes, bytes + 10, [](unsigned char b) { return b == 0; }) &&
                           bytes[10] == 0xff && bytes[11] == 0xff;
    char text[INET6_ADDRSTRLEN] = {};
    if (v4_mapped) {
      inet_ntop(AF_INET, bytes + 12, text, sizeof text);
      return text;
    }
    // One host may hold a whole /64: count it as one address.
    std::memset(bytes + 8, 0, 8);
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return std::string(text) + "/64";
  }
  return host;
}

LoginThrottle::Clock::time_point LoginThrottle::locked_until(std::string_view address, std::string_view station,
                                                             Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Clock::time_point until{};
  if (auto it = addresses_.find(std::string(address)); it != addresses_.end() && it->second.locked_until > now)
    until = it->second.locked_until;
  std::string pair(address);
  pair.push_back('\0');
  pair.append(station);
  if (auto it = pairs_.find(pair); it != pairs_.end() && it->second.locked_until > now)
    until = std::max(until, it->second.locked_until);
  return until;
}

void LoginThrottle::count(std::unordered_map<std::string, Entry>& table, std::string key, std::size_t limit,
                          Clock::time_point now) {
  if (limit == 0) return;  // this kind of throttling is off
  if (table.size() >= settings_.max_tracked && table.find(key) == table.end()) bound(table, now);
  auto& entry = table[std::move(key)];
  if (now - entry.window_start >= settings_.window) {
    entry.window_start = now;
    entry.failures = 0;
  }
  if (++entry.failures >= limit) {
    entry.failures = 0;
    entry.window_start = now;
    entry.locked_until = now + settings_.lockout;
  }
}

void LoginThrottle::bound(std::unordered_map<std::string, Entry>& table, Clock::time_point now) {
  // Forget what no longer matters; if that is not enough, the entries whose lockout ends first.
  std::erase_if(table, [&](const auto& item) {
    return item.second.locked_until <= now && now - item.second.window_start >= settings_.window;
  });
  if (table.size() < settings_.max_tracked) return;
  // A tenth at once, so that a flood of new keys costs a sweep per many attempts, not per attempt.
  std::vector<std::pair<Clock::time_point, const std::string*>> by_age;
  by_age.reserve(table.size());
  for (const auto& [key, entry] : table) by_age.emplace_back(std::max(entry.locked_until, entry.window_start), &key);
  const std::size_t drop = std::max<std::size_t>(1, table.size() / 10);
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
  std::vector<std::string> victims;
  for (std::size_t i = 0; i < drop; ++i) victims.push_back(*by_age[i].second);
  for (const auto& key : victims) table.erase(key);
}

void LoginThrottle::failed(std::string_view address, std::string_view station, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::string pair(address);
  pair.push_back('\0');
  pair.append(station);
  count(pairs_, std::move(pair), settings_.failures_per_station, now);
  count(addresses_, std::string(address), settings_.failures_per_address, now);
}

void LoginThrottle::succeeded(std::string_view address, std::string_view station) {
  std::lock_guard lock(mutex_);
  std::string pair(address);
  pair.push_back('\0');
  pair.append(station);
  pairs_.erase(pair);
}

std::size_t LoginThrottle::locked(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto locked_in = [now](const std::unordered_map<std::string, Entry>& table) {
    return static_cast<std::size_t>(
        std::count_if(table.begin(), table.end(), [now](const auto& item) { return item.second.locked_until > now; }));
  };
  return locked_in(pairs_) + locked_in(addresses_);
}

}  // namespace evbroker::actors
