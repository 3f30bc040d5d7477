#pragma once
// The routing table from (OCPP version, action) to the handler actor of that action's functional
// block. Filled once at start-up (see node.cpp) and read-only after, so every station actor reads it
// without locks and a station CALL reaches its handler in one hop. An action without a handler is
// answered NotSupported by the station actor.

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include <caf/actor.hpp>

#include "protocol/version.hpp"

namespace evbroker::actors {

class Router {
 public:
  static constexpr std::size_t kMaxActions = 128;

  void add(ocpp::Version version, std::size_t action, caf::actor handler) {
    table_[static_cast<std::size_t>(version)][action] = std::move(handler);
  }
  /// The handler for the action, or nullptr when no handler takes it.
  const caf::actor* find(ocpp::Version version, std::size_t action) const {
    if (action >= kMaxActions) return nullptr;
    const auto& h = table_[static_cast<std::size_t>(version)][action];
    return h ? &h : nullptr;
  }
  /// Actors that are not reached by routing a station CALL but by other actors (the security actor
  /// learns that a station booted; the back-end actor is asked for HTTP work).
  enum class Service : std::size_t { security, backend, retention, count };
  void set_service(Service service, caf::actor actor) {
    services_[static_cast<std::size_t>(service)] = std::move(actor);
  }
  const caf::actor* service(Service service) const {
    const auto& a = services_[static_cast<std::size_t>(service)];
    return a ? &a : nullptr;
  }

  /// Drops every handle (before the actor system goes away).
  void clear() {
    table_ = {};
    services_ = {};
  }

  /// Every handler actor once (to stop them at shutdown).
  std::vector<caf::actor> handlers() const {
    std::vector<caf::actor> out;
    for (const auto& row : table_)
      for (const auto& h : row)
        if (h && std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    for (const auto& s : services_)
      if (s && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    return out;
  }

 private:
  std::array<std::array<caf::actor, kMaxActions>, 3> table_{};
  std::array<caf::actor, static_cast<std::size_t>(Service::count)> services_{};
};

}  // namespace evbroker::actors
