#pragma once
// Bringing a station's local authorization list to what its assigned tokens make (local_list.hpp):
// after each accepted boot (GetLocalListVersion first: a station whose version is not the node's
// gets the whole list again), after each change of a token whose scope covers it, and when the
// operator asks (POST /api/v0/cs/{csId}/local-list/sync). A short-lived actor per synchronisation
// reads the station's limits when they are not known, sends the SendLocalLists one after another
// (behind any other call to the station) and stores each accepted one before sending the next.
//
// At most one synchronisation runs per station: asked again meanwhile, it runs once more after
// the current one (so a burst of token changes costs one more round, not one per change). The
// state the API shows is the station's LocalListRecord.

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/core/node_context.hpp"
#include "actors/station/local_list.hpp"

namespace evbroker::actors {

class LocalListSyncs {
 public:
  /// change: send what differs; boot: check the station's version (and read its limits) first;
  /// full: as boot, and send the whole list as a Full update.
  enum class Kind { change, boot, full };

  /// Starts a synchronisation of the station's list if it is connected to this node.
  void request(caf::actor_system& system, const NodeContextPtr& ctx, const std::string& station, Kind kind);
  /// After tokens changed: a synchronisation of every connected station one of `scopes` covers.
  void scopes_changed(caf::actor_system& system, const NodeContextPtr& ctx, const std::vector<LocalListScope>& scopes);
  /// Whether a synchronisation of the station runs now.
  bool running(const std::string& station) const;

  /// The runner is done: the kind to run again, if it was asked for meanwhile (the slot stays taken).
  std::optional<Kind> finished(const std::string& station);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::optional<Kind>> running_;  // station -> asked again as
};

}  // namespace evbroker::actors
