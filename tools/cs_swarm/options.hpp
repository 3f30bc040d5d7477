#pragma once
// cs_swarm's command line: every option, its default, and the checks that need no network.
// The names of the options in issue 5 (--url, --stations, --id-prefix, --ocpp, --password, --ramp,
// --duration, --scenario, --source-addrs, --register, --tls, --client-cert, --json, --quiet) are an
// interface that scripts rely on: keep them.

#include <cstdint>
#include <optional>
#include <string>

namespace evbroker::swarm {

/// Which OCPP version each simulated station speaks.
enum class OcppChoice : std::uint8_t { v201, v16, mix };

/// What the stations do once connected (see scenario.hpp for the message sequences).
enum class ScenarioKind : std::uint8_t { boot, heartbeat, transactions, mixed, storm, maeve_k6, pnc };

struct SwarmOptions {
  // where and who
  std::string url = "ws://127.0.0.1:9310/ws";  // station id appended as the last path segment
  std::size_t stations = 100;
  std::string id_prefix = "CS";
  std::size_t first_index = 1;  // ids are <prefix><index, zero-padded to 6 digits>
  OcppChoice ocpp = OcppChoice::v201;
  std::optional<std::string> password;  // HTTP Basic, username = station id
  std::string source_addrs;             // "127.0.0.1-127.0.0.16" or "a,b,c"; empty: the kernel picks

  // TLS (wss)
  bool tls = false;         // also implied by a wss:// URL
  std::string ca_file;      // verify the server against it; empty: no verification
  std::string client_cert;  // PEM chain, for security profile 3 (MaEVe's 2)
  std::string client_key;
  bool tls_resume = true;  // offer the last TLS session on reconnect (--no-tls-resume: always full)

  // registration through the management API
  std::string register_url;               // e.g. http://127.0.0.1:9410; empty: no registration
  std::string api_token;                  // bearer token for the API
  std::size_t register_connections = 32;  // concurrent keep-alive HTTP connections
  std::size_t tokens = 1;                 // authorization tokens registered and used round-robin
  std::string id_tag_prefix = "SWARM";    // token uids are <prefix><index, 6 digits>
  bool register_only = false;             // register, then exit (no station connects)

  // behaviour
  ScenarioKind scenario = ScenarioKind::boot;
  double ramp = 0;                             // new connections per second; 0: as fast as allowed
  std::size_t max_connecting = 512;            // connection attempts in flight at once
  double duration_s = 30;                      // measurement window after the ramp
  double rate = 0;                             // target CALLs per second over all stations; 0: unpaced
  std::optional<double> heartbeat_interval_s;  // idle heartbeat period; default: the server's interval
  std::size_t connectors = 2;                  // per station: one StatusNotification each at boot
  std::size_t meter_values = 0;                // per transaction; 0: the scenario's default
  std::size_t sampled_values = 10;             // per meter value (the TransactionEvent has 10)
  double storm_after_s = 2;                    // storm: seconds after the ramp before all drop at once
  double reconnect_delay_s = 1;                // after a lost connection or a failed attempt (+/- 50%)
  double pnc_interval_s = 5;                   // pnc: pause after CertificateSigned before the next SignCertificate

  // limits
  double call_timeout_s = 30;
  double connect_timeout_s = 10;
  unsigned threads = 0;  // I/O threads; 0: one per core

  // output
  std::string json_file;
  bool quiet = false;
};

/// The outcome of parsing: run with the options, or exit with `exit_code` after printing `message`
/// (help on stdout when the code is 0, an error on stderr otherwise).
struct ParsedOptions {
  std::optional<SwarmOptions> options;
  int exit_code = 0;
  std::string message;
};

ParsedOptions parse_options(int argc, const char* const* argv);

const char* to_string(ScenarioKind kind) noexcept;
const char* to_string(OcppChoice choice) noexcept;

}  // namespace evbroker::swarm
