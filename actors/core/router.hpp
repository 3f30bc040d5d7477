#pragma once
// The routing table from (OCPP version, action) to the handler actor of that action's functional
// block. Filled once at start-up (see node.cpp) and read-only after, so every station actor reads it
// without locks and a station CALL reaches its handler in one hop. An action without a handler is
// answered NotSupported by the station actor.

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "actors/core/messages.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

class Router {
 public:
  static constexpr std::size_t kMaxActions = 128;

  void add(ocpp::Version version, std::size_t action, BlockActor handler) {
    table_[static_cast<std::size_t>(version)][action] = std::move(handler);
  }
  /// The handler for the action, or nullptr when no handler takes it.
  const BlockActor* find(ocpp::Version version, std::size_t action) const {
    if (action >= kMaxActions) return nullptr;
    const auto& h = table_[static_cast<std::size_t>(version)][action];
    return h ? &h : nullptr;
  }
  /// Actors that are not reached by routing a station CALL but by other actors (the security actor
  /// learns that a station booted; the back-end actor is asked for HTTP work). Null until set.
  void set_security(SecurityActor actor) { security_ = std::move(actor); }
  void set_backend(BackendActor actor) { backend_ = std::move(actor); }
  void set_retention(RetentionActor actor) { retention_ = std::move(actor); }
  const SecurityActor& security() const { return security_; }
  const BackendActor& backend() const { return backend_; }

  /// Drops every handle (before the actor system goes away).
  void clear() {
    table_ = {};
    security_ = nullptr;
    backend_ = nullptr;
    retention_ = nullptr;
  }

  /// Every actor of the table and the services once (to stop them at shutdown).
  std::vector<StoppableActor> handlers() const {
    std::vector<StoppableActor> out;
    auto add_once = [&](const StoppableActor& a) {
      if (a && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    };
    for (const auto& row : table_)
      for (const auto& h : row)
        if (h) add_once(h);
    if (security_) add_once(security_);
    if (backend_) add_once(backend_);
    if (retention_) add_once(retention_);
    return out;
  }

 private:
  std::array<std::array<BlockActor, kMaxActions>, 3> table_{};
  SecurityActor security_;
  BackendActor backend_;
  RetentionActor retention_;
};

}  // namespace evbroker::actors
