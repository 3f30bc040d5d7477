#include "apps/evbroker/startup.hpp"

#include <cstdio>

#include "apps/evbroker/logging.hpp"
#include "apps/evbroker/pki_setup.hpp"
#include "apps/evbroker/tls_context.hpp"
#include "protocol/transport/connection_budget.hpp"

namespace evbroker::app {

std::optional<ProcessStart> start_process(const NodeConfig& config, int& exit_code) {
  std::string error;
  if (!setup_logging(config, error)) {
    std::fprintf(stderr, "evbroker: %s\n", error.c_str());
    exit_code = 2;
    return std::nullopt;
  }
  ProcessStart p;
  p.log = logger("node");
  if (config.api_token_on_command_line)
    p.log->warn(
        "--api-token is visible to every user of this machine in the process list: prefer "
        "--api-token-file FILE (mode 0600) or the environment variable EVBROKER_API_TOKEN");
  p.files = raise_open_file_limit();
  if (!p.files.problem.empty())
    p.log->warn("open file limit stays at {} (hard limit {}): {}", p.files.soft, p.files.hard, p.files.problem);
  p.descriptors = plan_descriptors(p.files.soft, config.api_max_connections, config.max_station_connections);
  if (!p.descriptors.problem.empty()) {
    p.log->error("{}", p.descriptors.problem);
    exit_code = 1;
    return std::nullopt;
  }
  if (config.role == Role::manager)  // holds no station sockets
    p.log->info("open file limit {} (hard limit {})", p.files.soft, p.files.hard);
  else
    p.log->info("open file limit {} (hard limit {}): {}", p.files.soft, p.files.hard, p.descriptors.summary());
  p.admission.budget = std::make_shared<transport::ConnectionBudget>(p.descriptors.stations);
  return p;
}

std::optional<StationTls> open_station_tls(const NodeConfig& config, spdlog::logger& log) {
  StationTls t;
  auto local_pki = open_local_pki(config, &t.pki_created);
  if (!local_pki) {
    log.error("cannot open the local PKI in {}: {}", pki_directory(config), local_pki.error());
    return std::nullopt;
  }
  t.local_pki.emplace(std::move(*local_pki));
  auto trust = load_station_trust(config, *t.local_pki);
  if (!trust) {
    log.error("cannot load the station trust store: {}", trust.error());
    return std::nullopt;
  }
  t.trust = std::move(*trust);
  if (config.wss_addr) {
    std::string error;
    t.wss = make_tls_context(config, *t.local_pki, error);
    if (!t.wss) {
      log.error("cannot set up wss: {}", error);
      return std::nullopt;
    }
  }
  return t;
}

bool all_listening(std::span<const std::pair<const char*, std::error_code>> bound, spdlog::logger& log) {
  for (const auto& [flag, ec] : bound) {
    if (ec) {
      log.error("cannot listen ({}): {}", flag, ec.message());
      return false;
    }
  }
  return true;
}

Running run_until_stopped(boost::asio::io_context& io, unsigned io_threads,
                          std::function<ParseOutcome(NodeConfig&)> reread, const std::shared_ptr<spdlog::logger>& log,
                          const std::function<void()>& started) {
  // Both signal sets exist before the I/O threads run, so no signal finds the default action.
  Running r;
  r.stop_signal = std::make_unique<StopSignal>(io);
  r.hangup = std::make_unique<HangupSignal>(io, reload_on_hangup(std::move(reread), log));
  r.io_threads = run_io_threads(io, io_threads);
  if (started) started();
  r.signal_number = r.stop_signal->wait();
  log->info("signal {}: shutting down", r.signal_number);
  return r;
}

void Running::join(boost::asio::io_context& io) {
  io.stop();
  for (auto& t : io_threads) t.join();
  io_threads.clear();
}

}  // namespace evbroker::app
