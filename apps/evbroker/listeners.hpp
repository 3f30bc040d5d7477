#pragma once
// What every role does the same way with its sockets and threads: the station listeners of the
// configuration, the I/O threads, and waiting for SIGTERM/SIGINT.

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/logger.h>

#include "apps/evbroker/config.hpp"
#include "protocol/transport/ws_server.hpp"

namespace evbroker::app {

/// `configured`, or one per core when it is 0.
unsigned threads_or_cores(unsigned configured);

/// The ws listener, and the wss one when configured (with `tls`), sharing `callbacks`.
std::vector<std::unique_ptr<transport::WsServer>> make_station_listeners(boost::asio::io_context& io,
                                                                         const NodeConfig& config,
                                                                         std::shared_ptr<boost::asio::ssl::context> tls,
                                                                         const transport::WsCallbacks& callbacks);

/// Logs each refused upgrade or failed handshake (WsCallbacks::refused).
std::function<void(const transport::UpgradeRequest&, const transport::UpgradeDecision&)> log_refused_upgrades(
    std::shared_ptr<spdlog::logger> log);

/// Catches SIGINT and SIGTERM on `io` from construction on; wait() blocks until one arrives.
class StopSignal {
 public:
  explicit StopSignal(boost::asio::io_context& io);
  int wait();

 private:
  boost::asio::signal_set signals_;
  std::promise<int> signal_;
};

/// Runs `io` on `count` threads (join them after io.stop()).
std::vector<std::thread> run_io_threads(boost::asio::io_context& io, unsigned count);

}  // namespace evbroker::app
