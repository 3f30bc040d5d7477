#include "apps/evbroker/listeners.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/core/log_throttle.hpp"
#include "apps/evbroker/mqtt_setup.hpp"

namespace evbroker::app {

namespace {

/// The addresses `host` resolves to, numeric; empty with `error` set when it does not resolve.
std::vector<std::string> resolve(const std::string& host, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    error = gai_strerror(rc);
    return {};
  }
  std::vector<std::string> out;
  for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        at->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(at->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(at->ai_addr)->sin6_addr);
    if ((at->ai_family == AF_INET || at->ai_family == AF_INET6) &&
        inet_ntop(at->ai_family, address, text, sizeof text) != nullptr &&
        std::find(out.begin(), out.end(), text) == out.end())
      out.emplace_back(text);
  }
  freeaddrinfo(found);
  if (out.empty()) error = "no IPv4 or IPv6 address";
  return out;
}

bool is_ip_literal(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

std::optional<std::string> resolve_listen_hosts(NodeConfig& config) {
  struct Named {
    const char* setting;
    Endpoint* endpoint;
  };
  std::vector<Named> endpoints = {{"ws_addr", &config.ws_addr}, {"api_addr", &config.api_addr}};
  if (config.wss_addr) endpoints.push_back({"wss_addr", &*config.wss_addr});
  if (config.files_addr) endpoints.push_back({"files_addr", &*config.files_addr});
  for (const auto& [setting, endpoint] : endpoints) {
    if (is_ip_literal(endpoint->host)) continue;
    std::string error;
    const auto addresses = resolve(endpoint->host, error);
    if (addresses.empty())
      return std::string(setting) + " " + endpoint->to_string() + ": cannot resolve " + endpoint->host + ": " + error;
    if (endpoint == &config.api_addr && config.api_token.empty()) {
      for (const auto& address : addresses) {
        if (!is_loopback(Endpoint{address, endpoint->port}))
          return "api_addr " + endpoint->to_string() + " resolves to " + address +
                 ", which is not a loopback address, so the management API needs a token (--api-token-file, "
                 "--api-token or EVBROKER_API_TOKEN), or bind it to 127.0.0.1";
      }
    }
    endpoint->host = addresses.front();
  }
  return std::nullopt;
}

actors::LoginThrottleSettings login_throttle_settings(const NodeConfig& config) {
  actors::LoginThrottleSettings settings;
  settings.failures_per_station = config.login_failures_per_station;
  settings.failures_per_address = config.login_failures_per_address;
  settings.lockout = config.login_lockout;
  return settings;
}

actors::StationBudgets station_budgets(const NodeConfig& config) {
  actors::StationBudgets budgets;
  budgets.events = {config.station_events_max, config.station_events_max_bytes};
  budgets.device_model = {config.station_device_model_max, config.station_device_model_max_bytes};
  budgets.meter_values = {config.station_meter_values_max, config.station_meter_values_max_bytes};
  budgets.max_connectors = config.station_max_connectors;
  return budgets;
}

std::vector<std::unique_ptr<transport::WsServer>> make_station_listeners(boost::asio::io_context& io,
                                                                         const NodeConfig& config,
                                                                         std::shared_ptr<boost::asio::ssl::context> tls,
                                                                         const transport::WsCallbacks& callbacks,
                                                                         const StationAdmission& admission) {
  auto options_for = [&config, &admission](const Endpoint& at) {
    transport::WsServerOptions o;
    o.address = at.host;
    o.port = at.port;
    o.max_message_bytes = config.max_frame_bytes;
    o.idle_ping_interval = config.ping_interval;
    o.max_pending_handshakes = config.max_pending_handshakes;
    o.max_handshakes_per_address = config.max_handshakes_per_address;
    o.first_bytes_timeout = config.first_bytes_timeout;
    o.handshake_timeout = config.handshake_timeout;
    o.handshakes_by_address = admission.handshakes;
    o.budget = admission.budget;
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

namespace {

/// One log throttle per source address, for the refusals of upgrades (any I/O thread). Bounded: a
/// flood from many addresses starts the table afresh rather than growing it.
class RefusalLogThrottle {
 public:
  bool allow(const std::string& address, std::uint64_t& held_back) {
    std::lock_guard lock(mutex_);
    if (by_address_.size() >= kMaxAddresses && by_address_.find(address) == by_address_.end()) by_address_.clear();
    return by_address_[address].may_log(actors::LogThrottle::Clock::now(), held_back);
  }

 private:
  static constexpr std::size_t kMaxAddresses = 10000;
  std::mutex mutex_;
  std::unordered_map<std::string, actors::LogThrottle> by_address_;
};

}  // namespace

transport::HttpServerOptions http_server_options(const NodeConfig& config) {
  transport::HttpServerOptions options;
  options.address = config.api_addr.host;
  options.port = config.api_addr.port;
  options.max_connections = config.api_max_connections;
  options.idle_timeout = config.api_idle_timeout;
  // Never shorter than the longest a call to a station may take (waiting its turn, then its own
  // timeout): the server must not answer "timed out" for a call that may still go out.
  options.request_timeout = std::max(options.request_timeout, 2 * config.call_timeout + std::chrono::seconds(30));
  return options;
}

transport::HttpServerOptions files_server_options(const NodeConfig& config, const actors::FileService& service) {
  transport::HttpServerOptions options;
  options.address = config.files_addr->host;
  options.port = config.files_addr->port;
  options.max_connections = config.api_max_connections;
  options.idle_timeout = config.api_idle_timeout;
  options.request_timeout = std::chrono::seconds(3600);  // a large image over a slow cellular link
  options.max_body_bytes = 0;
  options.body_limit_for = [&service](const transport::HttpRequest& head) { return service.body_limit_for(head); };
  return options;
}

actors::FileLimits file_limits(const NodeConfig& config) {
  actors::FileLimits limits;
  limits.max_firmware_bytes = config.max_firmware_bytes;
  limits.max_upload_bytes = config.max_upload_bytes;
  limits.station_uploads_max_bytes = config.station_uploads_max_bytes;
  return limits;
}

std::string files_public_url(const NodeConfig& config, std::uint16_t port, spdlog::logger& log) {
  if (!config.files_url.empty()) return config.files_url;
  const auto& host = config.files_addr->host;
  if (host == "0.0.0.0" || host == "::")
    log.warn(
        "files_addr {} listens on every address; stations are given http://{}:{}, set --files-url to an "
        "address they can reach",
        host, host, port);
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string connection_metrics(const StationAdmission& admission, const transport::HttpServer& http) {
  std::string out;
  if (admission.budget) {
    append_metric(out, "evbroker_station_sockets", "Station sockets held (open websockets and handshakes)",
                  admission.budget->in_use());
    append_metric(out, "evbroker_station_sockets_limit", "Station sockets the node holds at most (descriptor budget)",
                  admission.budget->limit());
    append_metric(out, "evbroker_station_sockets_refused_total", "Station sockets closed at accept: budget full",
                  admission.budget->refused());
  }
  if (admission.handshakes)
    append_metric(out, "evbroker_station_handshakes", "Station handshakes in progress", admission.handshakes->total());
  const auto s = http.stats();
  append_metric(out, "evbroker_api_connections", "Open management API connections", s.open_connections);
  append_metric(out, "evbroker_api_connections_evicted_total",
                "Waiting API connections closed to make room for a new one", s.evictions);
  append_metric(out, "evbroker_api_connections_refused_total", "API connections closed at once: every place busy",
                s.refusals);
  return out;
}

std::function<void(const transport::UpgradeRequest&, const transport::UpgradeDecision&)> log_refused_upgrades(
    std::shared_ptr<spdlog::logger> log, actors::Metrics* metrics) {
  auto throttle = std::make_shared<RefusalLogThrottle>();
  return [log = std::move(log), throttle, metrics](const transport::UpgradeRequest& r,
                                                   const transport::UpgradeDecision& d) {
    // The gate counts its own decisions; these are the listeners' (nothing was read: no target).
    if (metrics && d.http_status == 408)
      metrics->upgrade(actors::UpgradeOutcome::timed_out);
    else if (metrics && d.http_status == 503 && r.target.empty())
      metrics->upgrade(actors::UpgradeOutcome::shed);
    std::uint64_t held_back = 0;
    if (!throttle->allow(actors::LoginThrottle::source_of(r.remote_address), held_back)) return;
    log->info("refused upgrade {} from {}: {} {}{}", r.target, r.remote_address, d.http_status, d.reason,
              actors::held_back_note(held_back));
  };
}

StopSignal::StopSignal(boost::asio::io_context& io) : signals_(io, SIGINT, SIGTERM) {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
    if (!ec) signal_.set_value(signal_number);
  });
}

int StopSignal::wait() { return signal_.get_future().get(); }

HangupSignal::HangupSignal(boost::asio::io_context& io, std::function<void()> on_hangup)
    : signals_(io, SIGHUP), on_hangup_(std::move(on_hangup)) {
  arm();
}

void HangupSignal::arm() {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;  // cancelled: the node is stopping
    on_hangup_();
    arm();
  });
}

std::function<void()> reload_on_hangup(std::function<ParseOutcome(NodeConfig&)> reread,
                                       std::shared_ptr<spdlog::logger> log) {
  return [reread = std::move(reread), log = std::move(log)] {
    NodeConfig fresh;
    const auto outcome = reread(fresh);
    if (outcome.kind != ParseOutcome::Kind::run) {
      log->warn("SIGHUP: the configuration does not read now ({}); nothing changed", outcome.message);
      return;
    }
    const auto level = spdlog::level::from_str(fresh.log_level);
    spdlog::set_level(level);
    log->info(
        "SIGHUP: configuration read again; log level is now {}; every other setting takes effect at the "
        "next start",
        fresh.log_level);
  };
}

std::vector<std::thread> run_io_threads(boost::asio::io_context& io, unsigned count) {
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < count; ++i) threads.emplace_back([&io] { io.run(); });
  return threads;
}

}  // namespace evbroker::app
