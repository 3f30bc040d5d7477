#include "apps/evbroker/gateway_node.hpp"

#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "actors/cluster/gateway_bridge.hpp"
#include "actors/cluster/registry_replica.hpp"
#include "actors/core/metrics.hpp"
#include "actors/core/node_context.hpp"
#include "actors/records/records.hpp"
#include "actors/core/station_directory.hpp"
#include "actors/station/station_gate.hpp"
#include "apps/evbroker/listeners.hpp"
#include "apps/evbroker/thread_counts.hpp"
#include "apps/evbroker/logging.hpp"
#include "apps/evbroker/mqtt_setup.hpp"
#include "apps/evbroker/open_file_limit.hpp"
#include "apps/evbroker/pki_setup.hpp"
#include "apps/evbroker/startup.hpp"
#include "protocol/mqtt_envelope.hpp"
#include "protocol/transport/http_server.hpp"
#include "protocol/transport/mqtt_link.hpp"
#include "protocol/transport/ws_server.hpp"
#include "storage/group_commit.hpp"

namespace evbroker::app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

transport::HttpResponse json(int status, std::string body) {
  transport::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

std::string gateway_metrics(const actors::GatewayBridge& bridge, const transport::MqttLink& link,
                            std::size_t registry) {
  const auto s = bridge.stats();
  std::string out;
  append_metric(out, "evbroker_gateway_connections", "Station websockets held by this gateway", bridge.connections());
  append_metric(out, "evbroker_gateway_registry_records", "Station records in the gateway's registry copy", registry);
  append_metric(out, "evbroker_gateway_to_broker_total", "Envelopes published to the managers", s.to_broker);
  append_metric(out, "evbroker_gateway_to_stations_total", "Frames sent to stations from the managers", s.to_stations);
  append_metric(out, "evbroker_gateway_refused_link_down_total",
                "Station CALLs answered with a CALLERROR: broker unreachable", s.refused_link_down);
  append_metric(out, "evbroker_gateway_not_held_total", "Out messages for stations other gateways hold", s.not_held);
  append_metric(out, "evbroker_gateway_dropped_answers_total", "Station answers to no pending CSMS call",
                s.dropped_answers);
  append_metric(out, "evbroker_gateway_invalid_messages_total", "Broken envelopes or topics received",
                s.invalid_messages);
  return out + link_metrics(link);
}

}  // namespace

int run_gateway(const NodeConfig& config, std::function<ParseOutcome(NodeConfig&)> reread) {
  int exit_code = 0;
  auto process = start_process(config, exit_code);
  if (!process) return exit_code;
  auto log = process->log;
  StationAdmission admission = process->admission;

  // The gateway terminates TLS, so it needs the server certificate and the station trust; with the
  // local PKI that means the manager's pki directory copied here (docs/cluster.md).
  auto station_tls = open_station_tls(config, *log);
  if (!station_tls) return 1;
  if (station_tls->pki_created)
    log->warn(
        "created a new local PKI in {}: profile-3 stations need certificates from it, not from the "
        "manager's (copy the manager's pki directory here instead)",
        pki_directory(config));
  auto tls = station_tls->wss;

  actors::Metrics metrics;
  auto ctx = std::make_shared<actors::NodeContext>();
  ctx->metrics = &metrics;
  ctx->station_log = logger("station");
  ctx->handler_log = logger("handler");
  ctx->pki_log = logger("pki");
  ctx->local_pki = &*station_tls->local_pki;
  ctx->station_trust = std::move(station_tls->trust);
  ctx->trust_proxy = config.trust_proxy;
  ctx->login_throttle = login_throttle_settings(config);

  const auto settings = cluster_settings(config);
  actors::RegistryReplica registry(settings.prefix);

  // The link is built before the bridge that publishes through it and started after it exists.
  std::shared_ptr<actors::GatewayBridge> bridge;
  transport::MqttLinkOptions link_options = mqtt_link_options(config, 0s);
  link_options.will =
      transport::MqttWill{ocpp::gateway_status_topic(settings.prefix, settings.node_id), "offline", 1, true};
  link_options.birth =
      transport::MqttWill{ocpp::gateway_status_topic(settings.prefix, settings.node_id), "online", 1, true};
  auto mqtt_log = logger("mqtt");
  transport::MqttLinkCallbacks link_callbacks;
  link_callbacks.message = [&bridge, &registry](transport::MqttMessage message) {
    if (registry.apply(message)) return;
    bridge->on_message(message);
  };
  link_callbacks.state = [&bridge, mqtt_log](bool connected, const std::string& detail) {
    if (connected) {
      mqtt_log->info("connected to the broker{}", detail.empty() ? "" : ": " + detail);
      bridge->on_link_up();
    } else {
      mqtt_log->warn("lost the broker: {}; station CALLs are answered with CALLERROR until it is back", detail);
    }
  };
  link_callbacks.attempt_failed = log_failed_attempts(mqtt_log);
  transport::MqttLink link(link_options,
                           {{ocpp::out_filter(settings.prefix), 1},
                            {ocpp::control_filter(settings.prefix), 1},
                            {ocpp::registry_filter(settings.prefix), 1}},
                           link_callbacks);
  bridge = std::make_shared<actors::GatewayBridge>(
      settings, [&link](transport::MqttPublish m) { return link.publish(std::move(m)); }, logger("gateway"),
      config.max_frame_bytes);
  if (auto problem = link.start()) {
    log->error("cannot start the MQTT link: {}", *problem);
    return 1;
  }

  actors::StationGate gate(nullptr, ctx, [&registry](const std::string& id) { return registry.find(id); });
  asio::io_context io;
  auto station_log = ctx->station_log;
  transport::WsCallbacks callbacks;
  callbacks.decide = [&gate, &link](const transport::UpgradeRequest& r) {
    if (!link.connected()) {
      // Without the broker no station could boot here; a refusal sends it to another gateway.
      transport::UpgradeDecision d;
      d.http_status = 503;
      d.reason = "the CSMS is temporarily unreachable from this gateway";
      return d;
    }
    return gate.decide(r);
  };
  callbacks.open = [&bridge, &registry](std::shared_ptr<transport::Connection> c, const transport::UpgradeRequest& r,
                                        const std::string& subprotocol) {
    auto record = registry.find(r.station_id);
    auto station = record ? actors::parse_station_record(*record) : std::nullopt;
    return bridge->open(std::move(c), r.station_id, subprotocol, station && station->tolerant);
  };
  callbacks.refused = log_refused_upgrades(station_log, &metrics);
  auto ws_servers = make_station_listeners(io, config, tls, callbacks, admission);

  // /health (readiness: 503 while the broker is unreachable) and /metrics; nothing else lives here.
  actors::StationDirectory no_stations;
  transport::HttpServer* http_server = nullptr;  // for /metrics, set below
  transport::HttpServer http(
      io, http_server_options(config), [&](transport::HttpRequest request, transport::Responder respond) {
        if ((request.method == "GET" || request.method == "HEAD") && request.path == "/health") {
          const bool up = link.connected();
          return respond(json(up ? 200 : 503, std::string("{\"status\":\"") + (up ? "OK" : "MQTT_DOWN") +
                                                  "\",\"role\":\"gateway\",\"node\":\"" + settings.node_id +
                                                  "\",\"registry\":" + std::to_string(registry.size()) +
                                                  ",\"connections\":" + std::to_string(bridge->connections()) + "}"));
        }
        if (request.method == "GET" && request.path == "/metrics") {
          transport::HttpResponse response;
          response.content_type = "text/plain; version=0.0.4";
          response.body = metrics.render(no_stations, storage::CommitStats{}) +
                          gateway_metrics(*bridge, link, registry.size()) +
                          (http_server ? connection_metrics(admission, *http_server) : std::string());
          return respond(std::move(response));
        }
        respond(json(404,
                     "{\"error\":\"a gateway serves only /health and /metrics; the management API is on the "
                     "manager\"}"));
      });

  http_server = &http;

  const std::pair<const char*, std::error_code> bound[] = {
      {"--ws-addr", ws_servers[0]->listen()},
      {"--wss-addr", ws_servers.size() > 1 ? ws_servers[1]->listen() : std::error_code{}},
      {"--api-addr", http.listen()},
  };
  if (!all_listening(bound, *log)) {
    link.stop();
    return 1;
  }

  auto running = run_until_stopped(io, threads_or_cores(config.io_threads), std::move(reread), log, [&] {
    log->info(
        "evbroker gateway {} listening: ws={}{} health={} mqtt={} prefix={}", settings.node_id,
        config.ws_addr.host + ":" + std::to_string(ws_servers[0]->local_port()),
        ws_servers.size() > 1 ? " wss=" + config.wss_addr->host + ":" + std::to_string(ws_servers[1]->local_port())
                              : "",
        config.api_addr.host + ":" + std::to_string(http.local_port()), config.mqtt_urls.front(), settings.prefix);
  });
  for (auto& server : ws_servers) server->stop_accepting();
  http.stop();
  // Closing the sockets publishes their disconnected events; give them a moment to go out.
  for (auto& server : ws_servers) server->close_all(1001, "server shutting down");
  // Bounded: a peer that never answers the close frame is dropped with the I/O threads.
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (bridge->connections() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  // A clean disconnect sends no will: say "offline" ourselves so the status topic stays true.
  transport::MqttPublish offline;
  offline.topic = ocpp::gateway_status_topic(settings.prefix, settings.node_id);
  offline.payload = "offline";
  offline.retained = true;
  link.publish(std::move(offline));
  link.stop();
  running.join(io);
  log->info("stopped cleanly");
  return 0;
}

}  // namespace evbroker::app
