#include "apps/evbroker/listeners.hpp"

#include <csignal>

namespace evbroker::app {

unsigned threads_or_cores(unsigned configured) {
  return configured != 0 ? configured : std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::unique_ptr<transport::WsServer>> make_station_listeners(boost::asio::io_context& io,
                                                                         const NodeConfig& config,
                                                                         std::shared_ptr<boost::asio::ssl::context> tls,
                                                                         const transport::WsCallbacks& callbacks) {
  auto options_for = [&config](const Endpoint& at) {
    transport::WsServerOptions o;
    o.address = at.host;
    o.port = at.port;
    o.max_message_bytes = config.max_frame_bytes;
    o.idle_ping_interval = config.ping_interval;
    o.max_pending_handshakes = config.max_pending_handshakes;
    return o;
  };
  std::vector<std::unique_ptr<transport::WsServer>> servers;
  servers.push_back(std::make_unique<transport::WsServer>(io, options_for(config.ws_addr), callbacks));
  if (config.wss_addr) {
    auto options = options_for(*config.wss_addr);
    options.tls = std::move(tls);
    servers.push_back(std::make_unique<transport::WsServer>(io, options, callbacks));
  }
  return servers;
}

std::function<void(const transport::UpgradeRequest&, const transport::UpgradeDecision&)> log_refused_upgrades(
    std::shared_ptr<spdlog::logger> log) {
  return [log = std::move(log)](const transport::UpgradeRequest& r, const transport::UpgradeDecision& d) {
    log->info("refused upgrade {} from {}: {} {}", r.target, r.remote_address, d.http_status, d.reason);
  };
}

StopSignal::StopSignal(boost::asio::io_context& io) : signals_(io, SIGINT, SIGTERM) {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
    if (!ec) signal_.set_value(signal_number);
  });
}

int StopSignal::wait() { return signal_.get_future().get(); }

std::vector<std::thread> run_io_threads(boost::asio::io_context& io, unsigned count) {
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < count; ++i) threads.emplace_back([&io] { io.run(); });
  return threads;
}

}  // namespace evbroker::app
