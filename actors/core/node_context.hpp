#pragma once
// The services every actor of a node shares. Built once by the node at start-up, immutable after,
// and handed to actors as a shared_ptr<const NodeContext>.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <vector>

#include <spdlog/logger.h>

#include "actors/core/clock.hpp"
#include "actors/core/login_throttle.hpp"
#include "actors/core/metrics.hpp"
#include "actors/records/station_budget.hpp"
#include "actors/core/pnc_settings.hpp"
#include "actors/core/station_directory.hpp"
#include "pki/local_pki.hpp"
#include "pki/x509.hpp"
#include "protocol/json_check.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::transport {
class HttpClient;
}

namespace evbroker::actors {

class FileStore;
class FirmwareRollouts;
class LocalListSyncs;

class Router;

struct NodeSettings {
  std::chrono::seconds heartbeat_interval{300};  // told to stations in BootNotification
  std::chrono::seconds boot_retry_interval{60};  // told to stations answered Pending or Rejected
  std::string registration_status = "Accepted";  // of a station registered without one
  /// Station groups whose stations are read at their first boot (boot_provisioning.hpp) as if registered
  /// with bootProvisioning; "*" names every station.
  std::vector<std::string> boot_provisioning_groups;
  std::chrono::seconds call_timeout{30};    // CSMS -> station CALL answer deadline
  std::size_t max_queued_calls = 32;        // CSMS calls waiting per station
  std::size_t max_pending_settings = 1000;  // settings waiting to be pushed, per station
  std::size_t max_frame_bytes = 256 * 1024;
  /// Nesting depth of any JSON the node reads (frames, envelopes, API bodies; json_check.hpp).
  std::size_t max_json_depth = ocpp::kDefaultMaxJsonDepth;
  std::size_t max_incoming_in_flight = 4;  // station CALLs not yet answered, per station
  StationBudgets budgets;                  // what one station may make the node keep
  /// Events older than this are deleted (retention.hpp); zero keeps them for ever.
  std::chrono::seconds event_retention{90 * 24 * 3600};
};

struct NodeContext {
  NodeSettings settings;
  /// The time every record is stamped with and every age is judged by (clock.hpp).
  const Clock* clock = &system_clock();
  storage::Store* store = nullptr;
  /// Every write goes here: the node's GroupCommitter (a test committer in actor tests).
  storage::Committer* committer = nullptr;
  StationDirectory* directory = nullptr;
  Metrics* metrics = nullptr;
  const Router* router = nullptr;
  /// The node's own CAs (always there: made on first start). Signs station and V2G certificates
  /// unless a back end is configured for them.
  const pki::LocalPki* local_pki = nullptr;
  /// What profile-3 client certificates must chain to (the CPO sub-CA by default, or
  /// --tls-client-ca). Used by the gate when a TLS-terminating proxy passes the certificate on.
  std::vector<pki::Certificate> station_trust;
  /// The CA stations check the node's wss server certificate against: the local PKI's csms-root
  /// when the node serves its own certificate; none with --tls-cert (the operator names it).
  std::optional<pki::Certificate> station_csms_root;
  /// Stations can reach the node over TLS: its wss listener, or a TLS-terminating proxy (--trust-proxy).
  bool takes_wss = false;
  /// Honour X-Forwarded-Proto / X-Client-Cert* / X-Forwarded-For headers (--trust-proxy); never otherwise.
  bool trust_proxy = false;
  /// Failed station logins (station_gate.cpp, login_throttle.hpp).
  LoginThrottleSettings login_throttle;
  PncSettings pnc;
  /// Firmware images served to stations and the files they upload (actors/files/); null in the
  /// gateway role and where no files listener is configured.
  FileStore* files = nullptr;
  /// The firmware rollouts running on this node (actors/api/firmware_rollout.hpp).
  FirmwareRollouts* rollouts = nullptr;
  /// The local-list synchronisations under way (actors/station/local_list_sync.hpp); null: none are run.
  LocalListSyncs* local_lists = nullptr;
  transport::HttpClient* http_client = nullptr;  // back-end HTTP(S) calls; runs on the node's I/O threads
  /// Called after a station registration was committed (record JSON) or deleted (nullopt). The
  /// manager role publishes the change to the gateways; unset on a single node.
  std::function<void(const std::string& station_id, const std::optional<std::string>& record)> station_changed;
  /// Several managers (docs/cluster.md): this node owns the stations of partition
  /// partition_index of partition_count and refuses to register others.
  std::uint32_t partition_index = 0;
  std::uint32_t partition_count = 1;
  std::shared_ptr<spdlog::logger> station_log;  // "station"
  std::shared_ptr<spdlog::logger> handler_log;  // "handler"
  std::shared_ptr<spdlog::logger> pki_log;      // "pki": signing, back ends, certificate checks
};

using NodeContextPtr = std::shared_ptr<const NodeContext>;

}  // namespace evbroker::actors
