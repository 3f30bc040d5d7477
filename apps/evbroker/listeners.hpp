#pragma once
// What every role does the same way with its sockets and threads: the station listeners of the
// configuration, the I/O threads, and waiting for SIGTERM/SIGINT.

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/logger.h>

#include "actors/core/login_throttle.hpp"
#include "actors/core/metrics.hpp"
#include "actors/files/file_service.hpp"
#include "actors/files/file_store.hpp"
#include "actors/records/station_budget.hpp"
#include "apps/evbroker/config.hpp"
#include "protocol/transport/address_handshakes.hpp"
#include "protocol/transport/connection_budget.hpp"
#include "protocol/transport/http_server.hpp"
#include "protocol/transport/ws_server.hpp"

namespace evbroker::app {

/// The throttling of failed station logins the configuration asks for.
actors::LoginThrottleSettings login_throttle_settings(const NodeConfig& config);
/// What one station may make the node keep.
actors::StationBudgets station_budgets(const NodeConfig& config);

/// Listeners bind IP addresses: a host name in ws_addr, wss_addr or api_addr is resolved here, at
/// start, and replaced by its first address. An API without a token must only resolve to loopback
/// addresses. Returns the problem (naming the setting), or nullopt.
std::optional<std::string> resolve_listen_hosts(NodeConfig& config);

/// What the ws and wss listeners share so that their limits hold across both: the node's
/// station-connection budget and the handshakes in progress per source address.
struct StationAdmission {
  std::shared_ptr<transport::ConnectionBudget> budget;
  std::shared_ptr<transport::HandshakesByAddress> handshakes = std::make_shared<transport::HandshakesByAddress>();
};

/// The ws listener, and the wss one when configured (with `tls`), sharing `callbacks` and `admission`.
std::vector<std::unique_ptr<transport::WsServer>> make_station_listeners(boost::asio::io_context& io,
                                                                         const NodeConfig& config,
                                                                         std::shared_ptr<boost::asio::ssl::context> tls,
                                                                         const transport::WsCallbacks& callbacks,
                                                                         const StationAdmission& admission);

/// The management API's (or the gateway's health) HTTP listener options of the configuration.
transport::HttpServerOptions http_server_options(const NodeConfig& config);
/// The files listener (actors/files/): its address, bodies only for uploads, and time enough for a
/// station on a slow link to fetch an image.
transport::HttpServerOptions files_server_options(const NodeConfig& config, const actors::FileService& service);
actors::FileLimits file_limits(const NodeConfig& config);
/// --files-url, or http://<files-addr host>:<bound port>; warns when that host is one stations cannot
/// reach (0.0.0.0, ::).
std::string files_public_url(const NodeConfig& config, std::uint16_t port, spdlog::logger& log);

/// /metrics lines for the station admission and the HTTP server.
std::string connection_metrics(const StationAdmission& admission, const transport::HttpServer& http);

/// Logs each refused upgrade or failed handshake (WsCallbacks::refused), a few per source address
/// and period, and counts the sockets the listeners closed on their own (shed at accept, silent
/// past the first-bytes deadline) in `metrics` when given.
std::function<void(const transport::UpgradeRequest&, const transport::UpgradeDecision&)> log_refused_upgrades(
    std::shared_ptr<spdlog::logger> log, actors::Metrics* metrics = nullptr);

/// Catches SIGINT and SIGTERM on `io` from construction on; wait() blocks until one arrives.
class StopSignal {
 public:
  explicit StopSignal(boost::asio::io_context& io);
  int wait();

 private:
  boost::asio::signal_set signals_;
  std::promise<int> signal_;
};

/// Calls `on_hangup` on an I/O thread for every SIGHUP from construction on (instead of the
/// default action, which ends the process).
class HangupSignal {
 public:
  HangupSignal(boost::asio::io_context& io, std::function<void()> on_hangup);

 private:
  void arm();
  boost::asio::signal_set signals_;
  std::function<void()> on_hangup_;
};

/// What SIGHUP does for every role: read the configuration again (flags and the --config file) and
/// apply what can change while running, the log level; say so, and what needs a restart.
std::function<void()> reload_on_hangup(std::function<ParseOutcome(NodeConfig&)> reread,
                                       std::shared_ptr<spdlog::logger> log);

/// Runs `io` on `count` threads (join them after io.stop()).
std::vector<std::thread> run_io_threads(boost::asio::io_context& io, unsigned count);

}  // namespace evbroker::app
