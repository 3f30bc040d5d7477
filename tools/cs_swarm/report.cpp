#include "tools/cs_swarm/report.hpp"

#include <cstdio>
#include <fstream>

#include "protocol/json_writer.hpp"
#include "tools/cs_swarm/scenario.hpp"

namespace evbroker::swarm {
namespace {

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }

/// Answers by action name over both versions ("StatusNotification" counts 1.6 and 2.0.1).
std::map<std::string, std::uint64_t> by_action(const StatsSnapshot& s) {
  std::map<std::string, std::uint64_t> out;
  for (std::size_t step = 0; step < kStepCount; ++step)
    for (int v16 = 0; v16 < 2; ++v16) {
      const auto n = s.answered[step * 2 + static_cast<std::size_t>(v16)];
      if (n == 0) continue;
      out[std::string(action_name(static_cast<Step>(step), v16 ? ocpp::Version::v16 : ocpp::Version::v201))] += n;
    }
  return out;
}

// ---- JSON ---------------------------------------------------------------------------------------

class Json {
 public:
  explicit Json(std::string& out) : w_(out) {}
  void open() {
    punct('{');
    ++depth_;
  }
  void close() {
    --depth_;
    newline();
    w_.raw('}');
    first_ = false;
  }
  void key(std::string_view k) {
    if (!first_) w_.raw(',');
    newline();
    w_.string(k);
    w_.raw(':');
    first_ = true;  // the value follows without a comma
  }
  void value(std::string_view v) { w_.string(v), done(); }
  void value(std::uint64_t v) { w_.integer(static_cast<std::int64_t>(v)), done(); }
  void value(std::int64_t v) { w_.integer(v), done(); }
  void value(double v) { w_.number(v), done(); }
  void value(bool v) { w_.boolean(v), done(); }
  void null() { w_.raw("null"), done(); }
  void counts(const std::map<std::string, std::uint64_t>& m) {
    open();
    for (const auto& [k, n] : m) {
      key(k);
      value(n);
    }
    close();
  }
  /// `count_key` names the number of samples ("samples" for CALL latency, "count" for pnc).
  void latency(const LatencyCounts& l, std::string_view count_key = "samples") {
    open();
    key("p50"), value(l.percentile_ms(0.50));
    key("p90"), value(l.percentile_ms(0.90));
    key("p99"), value(l.percentile_ms(0.99));
    key("p999"), value(l.percentile_ms(0.999));
    key("max"), value(l.max_ms());
    key("mean"), value(l.mean_ms());
    key(count_key), value(l.total);
    close();
  }

 private:
  void punct(char c) {
    w_.raw(c);
    first_ = true;
  }
  void done() { first_ = false; }
  void newline() {
    w_.raw('\n');
    for (int i = 0; i < depth_; ++i) w_.raw("  ");
  }

  ocpp::JsonWriter w_;
  bool first_ = true;
  int depth_ = 0;
};

std::map<std::string, std::uint64_t> group(const SwarmReport& r, const std::string& name) {
  auto it = r.errors.find(name);
  return it == r.errors.end() ? std::map<std::string, std::uint64_t>{} : it->second;
}

}  // namespace

std::string progress_line(double elapsed_s, const char* phase, const StatsSnapshot& now,
                          const StatsSnapshot& last_second, double second_s, std::size_t target) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%7.1fs %-6s connected %lld/%zu booted %lld  msgs/s %.0f  p99 %.1f ms  errors %llu  timeouts %llu",
                elapsed_s, phase, static_cast<long long>(now.connected), target, static_cast<long long>(now.booted),
                per_second(last_second.answers(), second_s), last_second.latency.percentile_ms(0.99),
                static_cast<unsigned long long>(now.errors()), static_cast<unsigned long long>(now[Counter::timeouts]));
  return line;
}

void print_table(const SwarmReport& r) {
  const auto& w = r.window;
  const auto& t = r.total;
  std::printf("\ncs_swarm: scenario %s, OCPP %s, %s, %u threads%s\n", to_string(r.options.scenario),
              to_string(r.options.ocpp), r.options.url.c_str(), r.threads, r.interrupted ? " (interrupted)" : "");
  if (r.capped_by_fd_limit)
    std::printf("  NOTE: %zu stations requested, %zu simulated: the open-file limit is %zu (ulimit -Hn)\n",
                r.stations_requested, r.stations_target, r.fd_limit);
  if (r.registration)
    std::printf(
        "  %-14s %zu stations, %zu tokens in %.1f s (%.0f/s), %zu failures\n", "registration",
        r.registration->stations_registered, r.registration->tokens_registered, r.registration->seconds,
        per_second(r.registration->stations_registered + r.registration->tokens_registered, r.registration->seconds),
        r.registration->failures);
  if (r.options.register_only) return (void)std::fflush(stdout);
  std::printf("  %-14s target %zu, connected %lld, booted %lld (max connected %lld), connect failures %llu\n",
              "stations", r.stations_target, static_cast<long long>(w.connected), static_cast<long long>(w.booted),
              static_cast<long long>(r.max_connected), static_cast<unsigned long long>(t[Counter::connect_failures]));
  if (r.options.tls)
    std::printf("  %-14s %llu of %llu connections resumed a TLS session%s\n", "tls",
                static_cast<unsigned long long>(t[Counter::tls_resumed]),
                static_cast<unsigned long long>(t[Counter::connects]),
                r.options.tls_resume ? "" : " (--no-tls-resume: every one a full handshake)");
  std::printf("  %-14s %.2f s, %lld booted (%.0f connected+booted per second)\n", "ramp", r.ramp_s,
              static_cast<long long>(r.booted_after_ramp),
              r.ramp_s > 0 ? static_cast<double>(r.booted_after_ramp) / r.ramp_s : 0.0);
  std::printf("  %-14s %.1f s: %llu calls, %llu answered, %.0f msgs/s\n", "window", r.duration_s,
              static_cast<unsigned long long>(w[Counter::calls]), static_cast<unsigned long long>(w.answers()),
              per_second(w.answers(), r.duration_s));
  std::printf("  %-14s p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (%llu answers in the window)\n",
              "latency ms", w.latency.percentile_ms(0.5), w.latency.percentile_ms(0.9), w.latency.percentile_ms(0.99),
              w.latency.percentile_ms(0.999), w.latency.max_ms(), static_cast<unsigned long long>(w.latency.total));
  if (t.sign_to_signed.total > 0) {
    // The whole run, not the window: with a pause of seconds per cycle the window holds few samples.
    const auto& c = t.sign_to_signed;
    std::printf(
        "  %-14s p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (%llu SignCertificate -> "
        "CertificateSigned, whole run)\n",
        "sign->signed", c.percentile_ms(0.5), c.percentile_ms(0.9), c.percentile_ms(0.99), c.percentile_ms(0.999),
        c.max_ms(), static_cast<unsigned long long>(c.total));
  }
  std::string actions;
  for (const auto& [name, n] : by_action(w)) actions += "  " + name + " " + std::to_string(n);
  if (!actions.empty()) std::printf("  %-14s%s\n", "by action", actions.c_str());
  std::printf(
      "  %-14s calls %llu, answered %llu, call errors %llu, invalid %llu, timeouts %llu, lost %llu, "
      "late %llu, rejections %llu\n",
      "whole run", static_cast<unsigned long long>(t[Counter::calls]), static_cast<unsigned long long>(t.answers()),
      static_cast<unsigned long long>(t[Counter::call_errors]),
      static_cast<unsigned long long>(t[Counter::invalid_answers]),
      static_cast<unsigned long long>(t[Counter::timeouts]), static_cast<unsigned long long>(t[Counter::lost_calls]),
      static_cast<unsigned long long>(t[Counter::late_answers]),
      static_cast<unsigned long long>(t[Counter::rejections]));
  if (r.recovery_drops > 0) {
    if (r.recovery_s >= 0)
      std::printf("  %-14s %llu booted connections lost, all booted again %.2f s after the first drop\n", "recovery",
                  static_cast<unsigned long long>(r.recovery_drops), r.recovery_s);
    else
      std::printf("  %-14s %llu booted connections lost, %lld not booted again by the end\n", "recovery",
                  static_cast<unsigned long long>(r.recovery_drops), static_cast<long long>(r.recovery_waiting));
  }
  if (r.storm_s) std::printf("  %-14s every station dropped and was booted again in %.2f s\n", "storm", *r.storm_s);
  if (r.errors.empty()) {
    std::printf("  %-14s none\n", "errors");
  } else {
    for (const auto& [name, kinds] : r.errors) {
      std::size_t shown = 0;
      for (const auto& [kind, n] : kinds) {
        if (++shown > 8) {
          std::printf("  %-14s ... %zu more kinds (see --json)\n", "", kinds.size() - 8);
          break;
        }
        std::printf("  %-14s %-22s %8llu  %s\n", shown == 1 ? "errors" : "", shown == 1 ? name.c_str() : "",
                    static_cast<unsigned long long>(n), kind.c_str());
      }
    }
  }
  std::fflush(stdout);
}

bool write_json(const SwarmReport& r, const std::string& path, std::string& error) {
  std::string out;
  Json j(out);
  const auto& w = r.window;
  const auto& t = r.total;
  j.open();
  j.key("tool"), j.value(std::string_view("cs_swarm"));
  j.key("url"), j.value(r.options.url);
  j.key("scenario"), j.value(std::string_view(to_string(r.options.scenario)));
  j.key("ocpp"), j.value(std::string_view(to_string(r.options.ocpp)));
  j.key("threads"), j.value(static_cast<std::uint64_t>(r.threads));
  j.key("rate_target"), j.value(r.options.rate);
  j.key("ramp_target"), j.value(r.options.ramp);
  j.key("stations_requested"), j.value(static_cast<std::uint64_t>(r.stations_requested));
  j.key("stations_target"), j.value(static_cast<std::uint64_t>(r.stations_target));
  j.key("fd_limit"), j.value(static_cast<std::uint64_t>(r.fd_limit));
  j.key("capped_by_fd_limit"), j.value(r.capped_by_fd_limit);
  j.key("registration");
  if (r.registration) {
    j.open();
    j.key("stations"), j.value(static_cast<std::uint64_t>(r.registration->stations_registered));
    j.key("tokens"), j.value(static_cast<std::uint64_t>(r.registration->tokens_registered));
    j.key("failures"), j.value(static_cast<std::uint64_t>(r.registration->failures));
    j.key("failures_by_kind"), j.counts(r.registration->failures_by_kind);
    j.key("seconds"), j.value(r.registration->seconds);
    j.close();
  } else {
    j.null();
  }
  j.key("stations_connected"), j.value(w.connected);
  j.key("stations_booted"), j.value(w.booted);
  j.key("max_connected"), j.value(r.max_connected);
  j.key("ramp_s"), j.value(r.ramp_s);
  j.key("booted_after_ramp"), j.value(r.booted_after_ramp);
  j.key("connect_boot_rate_per_s"), j.value(r.ramp_s > 0 ? static_cast<double>(r.booted_after_ramp) / r.ramp_s : 0.0);
  j.key("connect_attempts"), j.value(t[Counter::connect_attempts]);
  j.key("connect_failures"), j.value(t[Counter::connect_failures]);
  j.key("connects"), j.value(t[Counter::connects]);
  j.key("tls_resumed"), j.value(t[Counter::tls_resumed]);
  j.key("calls"), j.value(t[Counter::calls]);
  j.key("responses"), j.value(t.answers());
  j.key("results"), j.value(t[Counter::results]);
  j.key("call_errors"), j.counts(group(r, "call_errors"));
  j.key("call_errors_total"), j.value(t[Counter::call_errors]);
  j.key("invalid_responses"), j.counts(group(r, "invalid_answers"));
  j.key("invalid_responses_total"), j.value(t[Counter::invalid_answers]);
  j.key("timeouts"), j.value(t[Counter::timeouts]);
  j.key("lost_calls"), j.value(t[Counter::lost_calls]);
  j.key("late_answers"), j.value(t[Counter::late_answers]);
  j.key("rejections"), j.value(t[Counter::rejections]);
  j.key("disconnects"), j.value(t[Counter::disconnects]);
  j.key("csms_calls"), j.value(t[Counter::csms_calls]);
  j.key("boots"), j.value(t[Counter::boots]);
  j.key("boots_rejected"), j.value(t[Counter::boots_rejected]);
  j.key("throughput_msgs_per_s"), j.value(per_second(w.answers(), r.duration_s));
  j.key("latency_ms"), j.latency(w.latency);
  j.key("duration_s"), j.value(r.duration_s);
  j.key("run_s"), j.value(r.run_s);
  j.key("window");
  j.open();
  j.key("calls"), j.value(w[Counter::calls]);
  j.key("responses"), j.value(w.answers());
  j.key("by_action"), j.counts(by_action(w));
  j.key("errors"), j.value(w.errors());
  j.close();
  j.key("latency_ms_run"), j.latency(t.latency);
  j.key("sign_to_certificate_signed"), j.latency(t.sign_to_signed, "count");
  j.key("recovery");
  j.open();
  j.key("drops"), j.value(r.recovery_drops);
  j.key("seconds");
  if (r.recovery_s >= 0)
    j.value(r.recovery_s);
  else
    j.null();
  j.key("waiting"), j.value(r.recovery_waiting);
  j.close();
  j.key("storm_s");
  if (r.storm_s)
    j.value(*r.storm_s);
  else
    j.null();
  j.key("errors");
  j.open();
  for (const auto& [name, kinds] : r.errors) {
    j.key(name), j.counts(kinds);
  }
  j.close();
  j.key("errors_total"), j.value(t.errors());
  j.key("interrupted"), j.value(r.interrupted);
  j.close();
  out += '\n';

  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    error = "cannot write " + path;
    return false;
  }
  file << out;
  if (!file.flush()) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace evbroker::swarm
