#pragma once
// The start-up steps every role shares (node.cpp: standalone and manager; gateway_node.cpp): the
// process (logging, open files and how they are shared), the station side's TLS (local PKI, trust,
// wss context), binding the listeners, and running until a stop signal. Each step logs why it
// failed, so a role only decides what to do next.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/logger.h>

#include "apps/evbroker/config.hpp"
#include "apps/evbroker/listeners.hpp"
#include "apps/evbroker/open_file_limit.hpp"
#include "pki/local_pki.hpp"
#include "pki/x509.hpp"

namespace evbroker::app {

/// What the process has to work with once logging is up.
struct ProcessStart {
  std::shared_ptr<spdlog::logger> log;  // "node"
  OpenFileLimit files;
  DescriptorPlan descriptors;
  StationAdmission admission;  // the stations' share of the descriptors, for every station listener
};

/// Sets up logging, raises the open-file limit and shares the descriptors between stations and the
/// API. nullopt when the node cannot start; `exit_code` says how (2: bad logging options, 1: no room).
std::optional<ProcessStart> start_process(const NodeConfig& config, int& exit_code);

/// The station side's TLS: the local PKI (made on first start), what profile-3 client certificates
/// must chain to, and the wss context when --wss-addr is set.
struct StationTls {
  std::optional<pki::LocalPki> local_pki;  // always set in a returned value
  bool pki_created = false;                // made now, not found
  std::vector<pki::Certificate> trust;
  std::shared_ptr<boost::asio::ssl::context> wss;  // null without --wss-addr
};
std::optional<StationTls> open_station_tls(const NodeConfig& config, spdlog::logger& log);

/// Binds each (flag, result of listen()) in order; logs the first that failed and returns false.
bool all_listening(std::span<const std::pair<const char*, std::error_code>> bound, spdlog::logger& log);

/// Runs the I/O threads until SIGINT/SIGTERM (SIGHUP rereads the configuration through `reread`),
/// calling `started` once they run. Returns the signal number; the threads are still running (stop
/// the io_context and join them with `join`).
struct Running {
  int signal_number = 0;
  std::vector<std::thread> io_threads;
  // Kept until the end: a SIGHUP or a second SIGTERM during the shutdown must not end the process.
  std::unique_ptr<StopSignal> stop_signal;
  std::unique_ptr<HangupSignal> hangup;
  void join(boost::asio::io_context& io);
};
Running run_until_stopped(boost::asio::io_context& io, unsigned io_threads,
                          std::function<ParseOutcome(NodeConfig&)> reread, const std::shared_ptr<spdlog::logger>& log,
                          const std::function<void()>& started);

}  // namespace evbroker::app
