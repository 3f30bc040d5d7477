#include "tools/cs_swarm/swarm.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "tools/cs_swarm/fd_limit.hpp"
#include "tools/cs_swarm/registrar.hpp"
#include "tools/cs_swarm/report.hpp"
#include "tools/cs_swarm/run_context.hpp"
#include "tools/cs_swarm/source_addresses.hpp"
#include "tools/cs_swarm/url.hpp"
#include "tools/cs_swarm/worker.hpp"

namespace evbroker::swarm {
namespace {

using namespace std::chrono_literals;

constexpr auto kTick = 50ms;
constexpr auto kStopGrace = 3s;  // for answers in flight and close handshakes at the end

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

int setup_error(const std::string& message) {
  std::fprintf(stderr, "cs_swarm: %s\n", message.c_str());
  return 1;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

StatsSnapshot snapshot(const std::vector<std::unique_ptr<Worker>>& workers) {
  StatsSnapshot s;
  for (const auto& w : workers) w->stats().add_to(s);
  return s;
}

std::string make_run_tag() {
  const auto now = static_cast<unsigned long long>(std::chrono::system_clock::now().time_since_epoch().count());
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08llx", (now ^ (static_cast<unsigned long long>(::getpid()) << 20)) & 0xffffffffULL);
  return tag;
}

/// The number of stations this process can hold open, and a clear note when it is fewer than asked.
std::size_t fit_to_descriptors(const SwarmOptions& o, unsigned threads, SwarmReport& report) {
  const auto fd = raise_fd_limit();
  report.fd_limit = fd.soft;
  const auto reserved = reserved_descriptors(threads, o.register_url.empty() ? 0 : o.register_connections);
  const std::size_t available = fd.soft > reserved ? fd.soft - reserved : 0;
  if (o.stations <= available) return o.stations;
  report.capped_by_fd_limit = true;
  std::fprintf(stderr,
               "cs_swarm: --stations %zu needs %zu sockets, but this process may open only %zu files "
               "(RLIMIT_NOFILE: soft %zu, hard %zu; %zu kept for other uses).\n"
               "cs_swarm: simulating %zu stations. For more, raise the hard limit (ulimit -Hn, "
               "/etc/security/limits.conf, systemd LimitNOFILE) or run several cs_swarm processes.\n",
               o.stations, o.stations, fd.soft, fd.soft, fd.hard, reserved, available);
  return available;
}

void warn_about_ports(std::size_t stations, std::size_t sources) {
  const std::size_t ports = ephemeral_ports_per_address();
  const std::size_t capacity = ports * std::max<std::size_t>(1, sources);
  if (stations > capacity)
    std::fprintf(stderr,
                 "cs_swarm: warning: %zu connections to one server port need more than the %zu ephemeral ports of "
                 "%zu source address(es); use --source-addrs 127.0.0.1-127.0.0.%zu\n",
                 stations, capacity, std::max<std::size_t>(1, sources), stations / ports + 1);
}

}  // namespace

int run_swarm(const SwarmOptions& options) {
  SwarmReport report;
  report.options = options;
  report.stations_requested = options.stations;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned threads = options.threads != 0 ? options.threads : cores;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, options.stations));
  report.threads = threads;

  const std::size_t stations = fit_to_descriptors(options, threads, report);
  if (stations == 0) return setup_error("no file descriptors left for a single station");
  report.stations_target = stations;

  // ---- where to connect ----------------------------------------------------------------------------
  auto url = parse_url(options.url);
  if (!url || (url->scheme != "ws" && url->scheme != "wss"))
    return setup_error("--url: expected ws://host[:port]/path or wss://..., got '" + options.url + "'");
  RunContext run;
  run.options = options;
  run.plan = make_plan(options);
  run.stations = stations;
  run.run_tag = make_run_tag();
  run.call_timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.call_timeout_s));
  if (options.rate > 0)
    run.pace = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(stations) / options.rate));
  ErrorTally errors;
  run.errors = &errors;
  if (run.plan.await_certificate_signed) {
    auto key = pki::PrivateKey::generate_p256();
    if (!key) return setup_error("pnc: " + key.error());
    run.pnc_key = std::move(*key);
    run.pnc_interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.pnc_interval_s));
  }
  if (!options.source_addrs.empty()) {
    auto sources = parse_source_addresses(options.source_addrs);
    if (!sources) return setup_error("--source-addrs: expected a.b.c.d-a.b.c.e or a list a,b,c");
    run.sources = std::move(*sources);
  }
  warn_about_ports(stations, run.sources.size());
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(url->host, std::to_string(url->port), ec);
    if (ec || endpoints.empty()) return setup_error("cannot resolve " + url->host + ": " + ec.message());
    run.target.server = endpoints.begin()->endpoint();
  }
  run.target.host_header = url->host_header();
  run.target.tls_host = url->host;
  run.target.path = url->path;
  run.target.connect_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(options.connect_timeout_s));
  if (options.tls) {
    try {
      run.target.tls =
          make_client_tls_context(options.ca_file, options.client_cert, options.client_key, options.tls_resume);
    } catch (const std::exception& e) {
      return setup_error(e.what());
    }
    run.target.verify_host = !options.ca_file.empty();
  }

  // ---- registration ----------------------------------------------------------------------------------
  if (!options.register_url.empty()) {
    auto api = parse_url(options.register_url);
    if (!api || api->scheme != "http")
      return setup_error("--register: expected http://host:port, got '" + options.register_url + "'");
    report.registration = register_all(*api, options, stations);
    if (report.registration->failures > 0)
      std::fprintf(stderr, "cs_swarm: %zu registrations failed (see the report)\n", report.registration->failures);
    if (options.register_only) {
      print_table(report);
      std::string error;
      if (!options.json_file.empty() && !write_json(report, options.json_file, error)) return setup_error(error);
      return report.registration->failures > 0 ? 1 : 0;
    }
  }

  // ---- the stations ----------------------------------------------------------------------------------
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>(run, t, 1.0 / threads));
  for (std::size_t i = 0; i < stations; ++i) workers[i % threads]->add_station(i);

  if (!options.quiet)
    std::printf(
        "cs_swarm: %zu stations (OCPP %s), scenario %s, %s, %u threads%s\n", stations, to_string(options.ocpp),
        to_string(options.scenario), options.url.c_str(), threads,
        options.rate > 0 ? (", rate " + std::to_string(static_cast<long long>(options.rate)) + "/s").c_str() : "");
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  const auto start = Clock::now();
  for (auto& w : workers) w->start();

  enum class Phase { ramp, window };
  Phase phase = Phase::ramp;
  StatsSnapshot window_start, last_print = snapshot(workers);
  Clock::time_point window_begin{}, storm_at{}, next_print = start + 1s, last_print_at = start;
  bool storm_fired = false;
  for (;;) {
    std::this_thread::sleep_for(kTick);
    const auto now = Clock::now();
    const auto snap = snapshot(workers);
    report.max_connected = std::max(report.max_connected, snap.connected);
    const bool interrupted = g_interrupted.load();

    if (phase == Phase::ramp && (run.first_attempts_resolved.load() >= stations || interrupted)) {
      report.ramp_s = seconds_between(start, now);
      report.booted_after_ramp = snap.booted;
      window_start = snap;
      window_begin = now;
      storm_at =
          now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.storm_after_s));
      phase = Phase::window;
    }
    if (phase == Phase::window) {
      if (run.plan.storm && !storm_fired && now >= storm_at) {
        storm_fired = true;
        for (auto& w : workers) w->storm();
      }
      if (storm_fired && !report.storm_s && run.recovery.seconds() >= 0) report.storm_s = run.recovery.seconds();
      const bool window_over = seconds_between(window_begin, now) >= options.duration_s;
      if (window_over || interrupted || report.storm_s) {
        report.duration_s = seconds_between(window_begin, now);
        report.window = snap;
        report.window -= window_start;
        report.interrupted = interrupted;
        break;
      }
    }
    if (!options.quiet && now >= next_print) {
      auto second = snap;
      second -= last_print;
      const char* label = phase == Phase::ramp ? "ramp" : (storm_fired ? "storm" : "run");
      std::printf("%s\n", progress_line(seconds_between(start, now), label, snap, second,
                                        seconds_between(last_print_at, now), stations)
                              .c_str());
      std::fflush(stdout);
      last_print = snap;
      last_print_at = now;
      next_print += 1s;
    }
  }

  // ---- stop: answers in flight come back, connections close politely ------------------------------
  for (auto& w : workers) w->stop();
  const auto stop_deadline = Clock::now() + kStopGrace;
  while (snapshot(workers).connected > 0 && Clock::now() < stop_deadline) std::this_thread::sleep_for(kTick);
  for (auto& w : workers) w->join();

  report.total = snapshot(workers);
  report.run_s = seconds_between(start, Clock::now());
  report.recovery_drops = run.recovery.drops();
  report.recovery_s = run.recovery.seconds();
  report.recovery_waiting = run.recovery.waiting();
  report.errors = errors.snapshot();
  workers.clear();

  print_table(report);
  if (!options.json_file.empty()) {
    std::string error;
    if (!write_json(report, options.json_file, error)) return setup_error(error);
  }
  return 0;
}

}  // namespace evbroker::swarm
