#include "tools/cs_swarm/options.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <string_view>
#include <utility>
#include <vector>

namespace evbroker::swarm {
namespace {

constexpr std::array<std::pair<std::string_view, ScenarioKind>, 7> kScenarios = {{
    {"boot", ScenarioKind::boot},
    {"heartbeat", ScenarioKind::heartbeat},
    {"transactions", ScenarioKind::transactions},
    {"mixed", ScenarioKind::mixed},
    {"storm", ScenarioKind::storm},
    {"maeve-k6", ScenarioKind::maeve_k6},
    {"pnc", ScenarioKind::pnc},
}};

constexpr std::array<std::pair<std::string_view, OcppChoice>, 3> kVersions = {{
    {"2.0.1", OcppChoice::v201},
    {"1.6", OcppChoice::v16},
    {"mix", OcppChoice::mix},
}};

constexpr const char* kScenarioHelp =
    "What each station does:\n"
    "  boot          BootNotification, one StatusNotification per connector, then idle heartbeats\n"
    "                (the server's interval, or --heartbeat-interval)\n"
    "  heartbeat     boot, then Heartbeat as fast as allowed (one CALL in flight), or paced by --rate\n"
    "  transactions  boot, then Authorize, start (TransactionEvent Started / StartTransaction),\n"
    "                --meter-values updates with --sampled-values each, stop; repeated\n"
    "  mixed         boot, then a blend per cycle: Heartbeat, StatusNotification Occupied, Authorize,\n"
    "                start, meter values, Heartbeat, stop, StatusNotification Available\n"
    "  storm         boot; --storm-after seconds after the ramp every station drops its connection\n"
    "                at once and reconnects; reports the time until all are booted again\n"
    "  maeve-k6      MaEVe's k6 load-test flow in OCPP 1.6 on a fresh connection each cycle: Boot,\n"
    "                Status, 3 Heartbeats, Authorize, StartTransaction, 2 MeterValues,\n"
    "                StopTransaction, disconnect\n"
    "  pnc           boot, then SignCertificate (2.0.1: ChargingStationCertificate; 1.6: security\n"
    "                extension) with a CSR for the station id, wait for the server's CertificateSigned,\n"
    "                accept it, pause --pnc-interval; repeated. Reports sign_to_certificate_signed";

template <class Table, class Value>
bool lookup(const Table& table, const std::string& name, Value& out) {
  for (const auto& [key, value] : table)
    if (key == name) {
      out = value;
      return true;
    }
  return false;
}

template <class Table, class Value>
const char* name_of(const Table& table, Value value) {
  for (const auto& [key, v] : table)
    if (v == value) return key.data();
  return "?";
}

ParsedOptions fail(std::string message) {
  ParsedOptions out;
  out.exit_code = 1;
  out.message = "cs_swarm: " + std::move(message) + " (see cs_swarm --help)";
  return out;
}

}  // namespace

const char* to_string(ScenarioKind kind) noexcept { return name_of(kScenarios, kind); }
const char* to_string(OcppChoice choice) noexcept { return name_of(kVersions, choice); }

ParsedOptions parse_options(int argc, const char* const* argv) {
  SwarmOptions o;
  CLI::App app{
      "cs_swarm: simulates many OCPP charge stations (1.6J and 2.0.1) against an OCPP-J server and reports "
      "throughput, latency percentiles and every error by kind. Every answer is validated against the OCPP "
      "schemas: an invalid answer is an error, not a success.",
      "cs_swarm"};
  app.get_formatter()->column_width(40);
  app.footer(std::string(kScenarioHelp) +
             "\n\nExit codes: 0 the run completed (errors are in the report), 1 bad options or setup failure.\n"
             "See docs/load-testing.md.");

  std::string scenario = "boot", ocpp = "2.0.1", password;
  double heartbeat_interval = 0;

  // where and who
  app.add_option("--url", o.url, "Server URL; the station id is appended as a path segment (ws:// or wss://)")
      ->type_name("URL")
      ->capture_default_str();
  app.add_option("--stations", o.stations, "Number of simulated stations")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->type_name("N");
  app.add_option("--id-prefix", o.id_prefix, "Station ids are <prefix><index> with the index zero-padded to 6 digits")
      ->capture_default_str()
      ->type_name("TEXT");
  app.add_option("--first-index", o.first_index, "Index of the first station")->capture_default_str()->type_name("N");
  app.add_option("--ocpp", ocpp, "OCPP version: 2.0.1, 1.6, or mix (alternating by station)")
      ->capture_default_str()
      ->type_name("VERSION");
  app.add_option("--password", password, "HTTP Basic password of every station (username = station id)")
      ->type_name("PASSWORD");
  app.add_option("--source-addrs", o.source_addrs,
                 "Bind sockets round-robin to these local addresses, as a range 127.0.0.1-127.0.0.16 or a list "
                 "a,b,c (passes the 64k ephemeral ports of one address)")
      ->type_name("ADDRS");

  // TLS
  app.add_flag("--tls", o.tls, "Connect with TLS (wss); implied by a wss:// URL");
  app.add_option("--ca", o.ca_file, "PEM CA file to verify the server with (default: no verification)")
      ->type_name("FILE");
  app.add_option("--client-cert", o.client_cert, "PEM client certificate chain (security profile 3)")
      ->type_name("FILE");
  app.add_option("--client-key", o.client_key, "PEM private key of --client-cert")->type_name("FILE");
  app.add_flag("!--no-tls-resume", o.tls_resume,
               "Make every TLS connection a full handshake (default: a station resumes its last session)");

  // registration
  app.add_option("--register", o.register_url,
                 "Register every station and the tokens through this management API first, e.g. "
                 "http://127.0.0.1:9410 (POST /api/v0/cs/{id} with securityProfile 0, 1 with --tls, 2 with "
                 "--client-cert; POST /api/v0/token)")
      ->type_name("URL");
  app.add_option("--api-token", o.api_token, "Bearer token for the management API")
      ->envname("EVBROKER_API_TOKEN")
      ->type_name("TOKEN");
  app.add_option("--register-connections", o.register_connections,
                 "Concurrent keep-alive HTTP connections used to register")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->type_name("N");
  app.add_option("--tokens", o.tokens, "Authorization tokens registered and used round-robin by the stations")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->type_name("N");
  app.add_option("--id-tag-prefix", o.id_tag_prefix, "Token uids are <prefix><index, 6 digits> (at most 14 chars)")
      ->capture_default_str()
      ->type_name("TEXT");

  // behaviour
  app.add_option("--scenario", scenario, "boot, heartbeat, transactions, mixed, storm, maeve-k6 or pnc (see below)")
      ->capture_default_str()
      ->type_name("NAME");
  app.add_option("--ramp", o.ramp, "New connections per second (0: as fast as --max-connecting allows)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("PER_SECOND");
  app.add_option("--max-connecting", o.max_connecting, "Connection attempts in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->type_name("N");
  app.add_option("--duration", o.duration_s, "Seconds of the measurement window, which starts after the ramp")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");
  app.add_option("--rate", o.rate,
                 "Target CALLs per second over all stations (each station paced at stations/rate seconds); "
                 "0: each station sends its next CALL as soon as the previous is answered")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("PER_SECOND");
  app.add_option("--heartbeat-interval", heartbeat_interval,
                 "Seconds between idle heartbeats (boot, storm) instead of the interval the server sends")
      ->check(CLI::PositiveNumber)
      ->type_name("SECONDS");
  app.add_option("--connectors", o.connectors, "Connectors per station (a StatusNotification each at boot)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}))
      ->type_name("N");
  app.add_option("--meter-values", o.meter_values,
                 "Meter value messages per transaction (0: 10 in transactions, 4 in mixed, 2 in maeve-k6)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000}))
      ->type_name("N");
  app.add_option("--sampled-values", o.sampled_values, "Sampled values per meter value")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10}))
      ->type_name("N");
  app.add_option("--storm-after", o.storm_after_s, "storm: seconds after the ramp before every station drops")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");
  app.add_option("--reconnect-delay", o.reconnect_delay_s,
                 "Seconds before reconnecting after a lost connection or a failed attempt (randomised +/- 50%)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");

  app.add_option("--pnc-interval", o.pnc_interval_s,
                 "pnc: seconds a station pauses after CertificateSigned before its next SignCertificate")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");

  // limits
  app.add_option("--call-timeout", o.call_timeout_s,
                 "Seconds to wait for an answer (pnc: also for CertificateSigned after the accepted "
                 "SignCertificate) before counting a timeout")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("SECONDS");
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds for TCP connect + TLS + websocket upgrade")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("SECONDS");
  app.add_option("--threads", o.threads, "I/O threads, each with its own io_context (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u))
      ->type_name("N");

  // output
  app.add_option("--json", o.json_file, "Write the report as JSON to this file")->type_name("FILE");
  app.add_flag("--quiet", o.quiet, "No progress line (the final table is still printed)");
  app.add_flag("--register-only", o.register_only,
               "Only register (needs --register), then exit: 1 when a registration failed");

  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i]);  // CLI11 wants them last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return ParsedOptions{std::nullopt, 0, app.help()};
  } catch (const CLI::ParseError& error) {
    return fail(error.what());
  }

  if (!lookup(kScenarios, scenario, o.scenario)) return fail("--scenario: unknown scenario '" + scenario + "'");
  if (!lookup(kVersions, ocpp, o.ocpp)) return fail("--ocpp: expected 2.0.1, 1.6 or mix, got '" + ocpp + "'");
  if (app.count("--password") > 0) o.password = password;
  if (app.count("--heartbeat-interval") > 0) o.heartbeat_interval_s = heartbeat_interval;
  if (o.url.rfind("wss://", 0) == 0) o.tls = true;
  if (o.client_cert.empty() != o.client_key.empty()) return fail("--client-cert and --client-key go together");
  if (!o.client_cert.empty() && !o.tls) return fail("--client-cert needs --tls (or a wss:// URL)");
  if (o.id_prefix.empty() || o.id_prefix.size() > 40) return fail("--id-prefix: 1 to 40 characters");
  if (o.id_tag_prefix.empty() || o.id_tag_prefix.size() > 14)
    return fail("--id-tag-prefix: 1 to 14 characters (1.6 idTags are at most 20)");
  if (o.register_only && o.register_url.empty()) return fail("--register-only needs --register URL");
  if (o.scenario == ScenarioKind::maeve_k6 && o.ocpp != OcppChoice::v16) o.ocpp = OcppChoice::v16;  // its flow is 1.6
  return ParsedOptions{o, 0, {}};
}

}  // namespace evbroker::swarm
