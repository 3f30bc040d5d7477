#include "apps/evbroker/node.hpp"

#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <caf/all.hpp>

#include "actors/station/security_upgrade.hpp"
#include "actors/api/management_api.hpp"
#include "actors/cluster/manager_bridge.hpp"
#include "actors/routes.hpp"
#include "actors/core/messages.hpp"
#include "actors/core/metrics.hpp"
#include "actors/core/node_context.hpp"
#include "actors/core/router.hpp"
#include "actors/core/station_directory.hpp"
#include "actors/api/firmware_rollout.hpp"
#include "actors/files/file_service.hpp"
#include "actors/files/file_store.hpp"
#include "actors/station/local_list_sync.hpp"
#include "actors/station/station_gate.hpp"
#include "actors/records/store_format.hpp"
#include "apps/evbroker/listeners.hpp"
#include "apps/evbroker/thread_counts.hpp"
#include "apps/evbroker/logging.hpp"
#include "apps/evbroker/mqtt_setup.hpp"
#include "apps/evbroker/open_file_limit.hpp"
#include "apps/evbroker/pki_setup.hpp"
#include "apps/evbroker/startup.hpp"
#include "protocol/transport/http_client.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/transport/http_server.hpp"
#include "protocol/transport/mqtt_link.hpp"
#include "protocol/transport/ws_server.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

actors::PncSettings pnc_settings(const NodeConfig& config) {
  actors::PncSettings pnc;
  pnc.hubject_url = config.hubject_url;
  pnc.token = config.hubject_token;
  pnc.token_env = config.hubject_token_env;
  pnc.oauth_token_url = config.hubject_oauth_url;
  pnc.oauth_client_id = config.hubject_client_id;
  pnc.oauth_client_secret = config.hubject_client_secret;
  pnc.root_files = config.contract_roots;
  pnc.root_cache_ttl = config.root_cache_ttl;
  pnc.backend_timeout = config.backend_timeout;
  pnc.backend_retries = config.backend_retries;
  return pnc;
}

/// The PEM files the Plug & Charge side reads later: a typo should stop the start, not surface as
/// failed certificate checks hours later.
std::optional<std::string> check_pem_files(const NodeConfig& config) {
  std::vector<std::pair<std::string, std::string>> files;  // flag, path
  if (!config.backend_ca.empty()) files.emplace_back("--backend-ca", config.backend_ca);
  for (const auto& root : config.contract_roots) files.emplace_back("--contract-roots", root);
  for (const auto& [flag, path] : files) {
    auto text = read_text_file(path);
    if (!text) return flag + " " + text.error();
    if (auto certificates = pki::parse_pem_chain(*text); !certificates) {
      return flag + " " + path + ": " + certificates.error();
    }
  }
  return std::nullopt;
}

/// How long the broker keeps the manager's session (its shared subscriptions and the QoS 1 messages
/// queued for it) while the manager restarts: what stations sent meanwhile is handled when it is
/// back (stations may have retried already: the handlers are idempotent).
constexpr std::chrono::seconds kManagerSessionExpiry{300};

/// How long a stopping node waits for stations to answer its close frames.
constexpr std::chrono::milliseconds kCloseGrace{2000};

std::string manager_metrics(const actors::ManagerBridge& bridge, const transport::MqttLink& link) {
  const auto s = bridge.stats();
  std::string out;
  append_metric(out, "evbroker_manager_stations", "Stations with a session on this manager (through any gateway)",
                bridge.stations());
  append_metric(out, "evbroker_manager_frames_in_total", "Envelopes passed to station actors", s.frames_in);
  append_metric(out, "evbroker_manager_invalid_messages_total", "Broken topics, envelopes or events received",
                s.invalid_messages);
  append_metric(out, "evbroker_manager_sessions_started_total", "Station sessions started", s.sessions_started);
  append_metric(out, "evbroker_manager_sessions_ended_total", "Station sessions ended", s.sessions_ended);
  append_metric(out, "evbroker_manager_registry_published_total", "Station records published to the gateways",
                s.registry_published);
  append_metric(out, "evbroker_manager_not_mine_total", "Messages of stations in other managers' partitions (dropped)",
                s.not_mine);
  return out + link_metrics(link);
}

}  // namespace

int run_node(const NodeConfig& config, std::function<ParseOutcome(NodeConfig&)> reread) {
  const bool manager = config.role == Role::manager;
  int exit_code = 0;
  auto process = start_process(config, exit_code);
  if (!process) return exit_code;
  auto log = process->log;
  StationAdmission admission = process->admission;
  transport::HttpServer* http_server = nullptr;  // set once the API's listener exists (for /metrics)

  // ---- the store ----------------------------------------------------------------------------
  storage::StoreOptions store_options;
  store_options.sync = config.sync;
  auto store = storage::Store::open(config.data_dir, store_options);
  if (!store) {
    log->error("cannot open the store: {}", store.error());
    return 1;
  }
  if (!config.sync) log->warn("--no-sync: commits are not fsynced; a crash can lose acknowledged messages");

  // ---- the local PKI and what TLS needs -----------------------------------------------------
  auto station_tls = open_station_tls(config, *log);
  if (!station_tls) return 1;
  if (station_tls->pki_created) log->info("created local PKI in {}", pki_directory(config));
  auto& local_pki = station_tls->local_pki;
  auto tls = station_tls->wss;
  if (auto problem = check_pem_files(config)) {
    log->error("{}", *problem);
    return 1;
  }
  storage::GroupCommitter committer(**store);
  std::uint64_t stored_format = 0;
  if (auto problem = actors::migrate_store(**store, committer, &stored_format)) {
    log->error("{}", *problem);
    committer.stop();
    return 1;
  }
  if (stored_format != 0 && stored_format != actors::kStoreFormat)
    log->info("store migrated from format {} to {}", stored_format, actors::kStoreFormat);

  // ---- actors -------------------------------------------------------------------------------
  actors::StationDirectory directory;
  actors::Metrics metrics;
  actors::Router router;
  auto ctx = std::make_shared<actors::NodeContext>();
  ctx->settings.heartbeat_interval = config.heartbeat_interval;
  ctx->settings.boot_retry_interval = config.boot_retry_interval;
  ctx->settings.registration_status = config.registration_status;
  ctx->settings.boot_provisioning_groups = config.boot_provisioning_groups;
  ctx->settings.call_timeout = config.call_timeout;
  ctx->settings.max_queued_calls = config.max_queued_calls;
  ctx->settings.max_pending_settings = config.max_pending_settings;
  ctx->settings.budgets = station_budgets(config);
  ctx->settings.event_retention = config.event_retention;
  ctx->settings.max_frame_bytes = config.max_frame_bytes;
  ctx->settings.max_json_depth = config.max_json_depth;
  ctx->store = store->get();
  ctx->committer = &committer;
  ctx->directory = &directory;
  ctx->metrics = &metrics;
  ctx->router = &router;
  ctx->station_log = logger("station");
  ctx->handler_log = logger("handler");
  ctx->pki_log = logger("pki");
  ctx->local_pki = &*local_pki;
  ctx->station_trust = std::move(station_tls->trust);
  ctx->trust_proxy = config.trust_proxy;
  if (config.tls_certs.empty()) ctx->station_csms_root = local_pki->csms_root().certificate();
  ctx->takes_wss = tls != nullptr || config.trust_proxy;
  ctx->login_throttle = login_throttle_settings(config);
  ctx->pnc = pnc_settings(config);
  ctx->partition_index = config.partition_index;
  ctx->partition_count = config.partition_count;

  // ---- files: the firmware images stations download, the logs they upload --------------------
  std::unique_ptr<actors::FileStore> files;
  if (config.files_addr) {
    std::string error;
    files = actors::FileStore::open(config.data_dir + "/files", file_limits(config), error);
    if (!files) {
      log->error("{}", error);
      committer.stop();
      return 1;
    }
    ctx->files = files.get();
  }
  actors::FirmwareRollouts rollouts;
  ctx->rollouts = &rollouts;
  actors::LocalListSyncs local_lists;
  ctx->local_lists = &local_lists;

  caf::actor_system_config caf_config;
  caf_config.set("scheduler.max-threads", static_cast<std::size_t>(threads_or_cores(config.actor_threads)));
  caf::actor_system system{caf_config};
  // Declared after the actor system so that it is destroyed first: pending handlers hold sessions,
  // sessions hold station actors, and the actor system's destructor waits for every actor.
  asio::io_context io;
  transport::HttpClientOptions http_client_options;
  http_client_options.ca_file = config.backend_ca;
  transport::HttpClient http_client(io, http_client_options);
  ctx->http_client = &http_client;
  // The manager's MQTT link, built before the bridge that publishes through it, started once the
  // handlers are in place.
  std::unique_ptr<transport::MqttLink> link;
  std::unique_ptr<actors::ManagerBridge> bridge;
  if (manager) {
    const auto settings = cluster_settings(config);
    auto mqtt_log = logger("mqtt");
    transport::MqttLinkCallbacks link_callbacks;
    link_callbacks.message = [&bridge](transport::MqttMessage message) { bridge->on_message(message); };
    link_callbacks.state = [&bridge, mqtt_log](bool connected, const std::string& detail) {
      if (!connected) return mqtt_log->warn("lost the broker: {}", detail);
      mqtt_log->info("connected to the broker{}", detail.empty() ? "" : ": " + detail);
      bridge->on_link_up();
    };
    link_callbacks.attempt_failed = log_failed_attempts(mqtt_log);
    link = std::make_unique<transport::MqttLink>(
        mqtt_link_options(config, kManagerSessionExpiry),
        std::vector<transport::MqttSubscription>{
            {ocpp::in_filter(settings.prefix, ocpp::Version::v16, settings.share_group()), 1},
            {ocpp::in_filter(settings.prefix, ocpp::Version::v201, settings.share_group()), 1},
            {ocpp::event_filter(settings.prefix, settings.share_group()), 1},
            {ocpp::gateway_status_filter(settings.prefix), 1}},
        link_callbacks);
    bridge = std::make_unique<actors::ManagerBridge>(
        system, ctx, settings, [l = link.get()](transport::MqttPublish m) { return l->publish(std::move(m)); });
    ctx->station_changed = [b = bridge.get()](const std::string& id, const std::optional<std::string>& record) {
      b->station_changed(id, record);
    };
  }
  actors::install_handlers(system, ctx, router);  // fills the router before any station arrives
  actors::StationGate gate(&system, ctx);
  actors::ApiOptions api_options{config.api_token, {}, {}};
  if (manager) {
    api_options.health = [&link, &bridge, node = node_identity(config)]() -> std::pair<int, std::string> {
      const bool up = link->connected();
      return {up ? 200 : 503, std::string("{\"status\":\"") + (up ? "OK" : "MQTT_DOWN") +
                                  "\",\"role\":\"manager\",\"node\":\"" + node +
                                  "\",\"stations\":" + std::to_string(bridge->stations()) + "}"};
    };
    api_options.extra_metrics = [&link, &bridge] { return manager_metrics(*bridge, *link); };
  }
  api_options.extra_metrics = [more = std::move(api_options.extra_metrics), &admission, &http_server] {
    std::string out = more ? more() : std::string();
    if (http_server) out += connection_metrics(admission, *http_server);
    return out;
  };
  actors::ManagementApi api(system, ctx, api_options);

  // ---- listeners ----------------------------------------------------------------------------
  auto station_log = logger("station");
  transport::WsCallbacks callbacks;
  callbacks.decide = [&gate](const transport::UpgradeRequest& r) { return gate.decide(r); };
  callbacks.open = [&gate](std::shared_ptr<transport::Connection> c, const transport::UpgradeRequest& r,
                           const std::string& subprotocol) { return gate.open(std::move(c), r, subprotocol); };
  callbacks.refused = log_refused_upgrades(station_log, &metrics);
  // A manager holds no websockets: its stations are on the gateways.
  std::vector<std::unique_ptr<transport::WsServer>> ws_servers;
  if (!manager) ws_servers = make_station_listeners(io, config, tls, callbacks, admission);
  auto api_server_options = http_server_options(config);
  api_server_options.body_limit_for = [&api,
                                       limit = api_server_options.max_body_bytes](const transport::HttpRequest& head) {
    return api.body_limit_for(head, limit);
  };
  transport::HttpServer http(io, api_server_options,
                             [&api](transport::HttpRequest request, transport::Responder respond) {
                               api.handle(std::move(request), std::move(respond));
                             });
  http_server = &http;
  std::unique_ptr<actors::FileService> file_service;
  std::unique_ptr<transport::HttpServer> files_http;
  if (files) {
    file_service = std::make_unique<actors::FileService>(*files, logger("files"));
    files_http = std::make_unique<transport::HttpServer>(
        io, files_server_options(config, *file_service),
        [service = file_service.get()](transport::HttpRequest request, transport::Responder respond) {
          service->handle(std::move(request), std::move(respond));
        });
  }

  // Handlers first (their back-end calls may still be answered meanwhile), then the HTTP client,
  // whose callbacks would otherwise post to actors that are gone.
  auto stop_actors = [&] {
    if (link) link->stop();  // no more callbacks into the bridge
    for (auto& handler : router.handlers()) caf::anon_send(handler, actors::stop_atom::value);
    rollouts.stop_all();
    actors::stop_security_upgrades();
    system.await_all_actors_done();
    http_client.stop();
    committer.stop();
    router.clear();  // no actor handle may outlive the actor system
  };
  if (link) {
    if (auto problem = link->start()) {
      log->error("cannot start the MQTT link: {}", *problem);
      stop_actors();
      return 1;
    }
  }
  const std::pair<const char*, std::error_code> bound[] = {
      {"--ws-addr", !ws_servers.empty() ? ws_servers[0]->listen() : std::error_code{}},
      {"--wss-addr", ws_servers.size() > 1 ? ws_servers[1]->listen() : std::error_code{}},
      {"--files-addr", files_http ? files_http->listen() : std::error_code{}},
      {"--api-addr", http.listen()},  // last: /health answering means everything is up
  };
  if (!all_listening(bound, *log)) {
    stop_actors();
    return 1;
  }
  if (files) files->set_public_url(files_public_url(config, files_http->local_port(), *log));

  const unsigned io_count = threads_or_cores(config.io_threads);
  auto running = run_until_stopped(io, io_count, std::move(reread), log, [&] {
    if (manager) {
      log->info("evbroker manager {} on mqtt={} prefix={} group={} partition={}/{}: api={} data={}",
                node_identity(config), config.mqtt_urls.front(), config.mqtt_prefix, config.mqtt_group,
                config.partition_index, config.partition_count,
                config.api_addr.host + ":" + std::to_string(http.local_port()), config.data_dir);
    } else {
      log->info("evbroker {} listening: ws={}{} api={} data={} ({} I/O threads, {} actor threads)", "0.1.0",
                config.ws_addr.host + ":" + std::to_string(ws_servers[0]->local_port()),
                ws_servers.size() > 1
                    ? " wss=" + config.wss_addr->host + ":" + std::to_string(ws_servers[1]->local_port())
                    : "",
                config.api_addr.host + ":" + std::to_string(http.local_port()), config.data_dir, io_count,
                threads_or_cores(config.actor_threads));
    }
  });

  // 1. No new stations, no new API requests.
  for (auto& server : ws_servers) server->stop_accepting();
  http.stop();
  if (files_http) files_http->stop();
  // 2. Close the station connections; their actors finish what they have and leave the directory.
  //    A manager stops listening to the broker and ends its station actors without closing the
  //    stations' sockets: the gateways keep them for the manager that comes back.
  for (auto& server : ws_servers) server->close_all(1001, "server shutting down");
  if (link) {
    link->stop();
    bridge->release_all();
  }
  //    A peer that never answers the close frame must not hold the shutdown: after a grace period
  //    its station actor is told the connection is gone (its socket goes with the I/O threads).
  auto wait_for_stations = [&directory](std::chrono::milliseconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (directory.size() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  };
  wait_for_stations(kCloseGrace);
  if (const auto left = directory.size(); left > 0) {
    log->warn("{} station connections did not finish the close handshake within {} ms; ending them", left,
              kCloseGrace.count());
    for (const auto& actor : directory.actors())
      caf::anon_send(actor, actors::closed_atom::value, std::string("server shutting down (no close handshake)"));
    wait_for_stations(1000ms);
  }
  // 3. Handlers finish their mailboxes, then every write they submitted is committed.
  stop_actors();
  // 4. The I/O threads.
  running.join(io);
  log->info("stopped cleanly; store flushed ({} commits, {} operations)", committer.stats().commits,
            committer.stats().operations);
  return 0;
}

}  // namespace evbroker::app
