#pragma once
// The node's configuration: embedded defaults, then a TOML file (--config), then command-line
// flags, each overriding the one before. `evbroker --help` lists every option with its default.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evbroker::app {

struct Endpoint {
  std::string host;  // "127.0.0.1", "0.0.0.0", "::1", "localhost"
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port" ("[::1]:9310" for IPv6)
};

enum class LogFormat { text, json };

/// What this process does in a cluster (docs/cluster.md): everything (one process, no MQTT), hold
/// station websockets and bridge them to MQTT, or run the handlers, the store and the API behind MQTT.
enum class Role { all, gateway, manager };
std::string_view role_name(Role role);

struct NodeConfig {
  Role role = Role::all;
  std::string data_dir = "./data";
  Endpoint ws_addr{"127.0.0.1", 9310};
  std::optional<Endpoint> wss_addr = Endpoint{"127.0.0.1", 9311};  // empty: no wss listener
  // PEM server certificate chains for wss and their private keys, the n-th key for the n-th chain, at
  // most one per key type (an RSA and an ECDSA one serve all of OCPP's TLS 1.2 suites); none: the
  // local PKI's.
  std::vector<std::string> tls_certs;
  std::vector<std::string> tls_keys;
  std::string tls_client_ca;              // PEM CA(s) client certificates must chain to (profile 3);
                                          // "": the local PKI's CPO sub-CA
  std::string pki_dir;                    // the local PKI; "": <data_dir>/pki (see pki_directory())
  std::vector<std::string> server_names;  // extra DNS names / IP addresses of the local server certificate
  bool trust_proxy = false;               // honour a TLS-terminating proxy's X-Forwarded-Proto / X-Client-Cert*
  Endpoint api_addr{"127.0.0.1", 9410};
  // The files listener (actors/files/): firmware downloads and log uploads of stations; empty: none.
  std::optional<Endpoint> files_addr = Endpoint{"127.0.0.1", 9412};
  std::string files_url;                               // the base URL stations get; "": http://<files_addr>
  std::size_t max_firmware_bytes = 256u << 20;         // one image uploaded through the API
  std::size_t max_upload_bytes = 64u << 20;            // one upload of a station
  std::size_t station_uploads_max_bytes = 256u << 20;  // all uploads of one station kept
  std::string api_token;                               // required when api_addr is not loopback
  std::string api_token_file;                          // where api_token was read from ("": not from a file)
  bool api_token_on_command_line = false;              // given as --api-token: visible in the process list
  std::chrono::seconds heartbeat_interval{300};        // sent in BootNotification responses
  std::chrono::seconds boot_retry_interval{60};        // the interval of a Pending or Rejected boot answer
  std::string registration_status = "Accepted";        // of a station registered without one
  std::vector<std::string> boot_provisioning_groups;   // stations of these groups ("*": all) are read at first boot
  std::chrono::seconds call_timeout{30};               // CSMS -> station CALL answer deadline
  std::chrono::seconds ping_interval{60};              // websocket ping after this long idle
  std::size_t max_frame_bytes = 256 * 1024;
  std::size_t max_json_depth = 64;          // nesting of any JSON read (json_check.hpp)
  std::size_t max_queued_calls = 32;        // CSMS calls waiting per station
  std::size_t max_pending_settings = 1000;  // settings waiting to be pushed, per station
  // What one station may make the node keep (actors/records/station_budget.hpp): entries and bytes.
  std::size_t station_events_max = 10000;
  std::size_t station_events_max_bytes = 8 << 20;
  std::size_t station_device_model_max = 20000;
  std::size_t station_device_model_max_bytes = 16 << 20;
  std::size_t station_meter_values_max = 10000;  // outside transactions
  std::size_t station_meter_values_max_bytes = 4 << 20;
  std::size_t station_max_connectors = 128;
  std::chrono::seconds event_retention{90 * 24 * 3600};  // 0: keep events for ever
  std::size_t max_pending_handshakes = 1024;
  std::size_t max_handshakes_per_address = 128;  // 0: unlimited (behind a proxy)
  std::chrono::seconds first_bytes_timeout{3};   // accept to the first byte of a handshake
  std::chrono::seconds handshake_timeout{10};    // accept to the upgrade done (TLS included)
  std::size_t max_station_connections = 0;       // 0: what the open-file limit leaves (listeners.hpp)
  std::size_t api_max_connections = 128;
  std::chrono::seconds api_idle_timeout{30};  // an API connection without a complete request
  // Failed station logins (actors/core/login_throttle.hpp): per address and station id, per address.
  std::size_t login_failures_per_station = 5;
  std::size_t login_failures_per_address = 50;
  std::chrono::seconds login_lockout{30};
  unsigned io_threads = 0;         // 0: one per core
  unsigned actor_threads = 0;      // 0: one per core
  bool sync = true;                // fsync each commit (never turn off in production)
  std::string log_level = "info";  // trace debug info warn error off
  LogFormat log_format = LogFormat::text;

  // Plug & Charge back ends (Hubject or a compatible CPO back end, OCSP responders); mapped onto
  // actors::PncSettings by the node.
  std::string hubject_url;        // "": V2G certificates from the local PKI, no contract certificates
  std::string hubject_token;      // fixed bearer token
  std::string hubject_token_env;  // name of an environment variable holding the bearer token
  std::string hubject_oauth_url;  // OAuth2 token endpoint (client credentials grant)
  std::string hubject_client_id;
  std::string hubject_client_secret;        // also EVBROKER_HUBJECT_CLIENT_SECRET
  std::vector<std::string> contract_roots;  // PEM files of trusted V2G / MO roots
  std::chrono::seconds root_cache_ttl{3600};
  std::chrono::milliseconds backend_timeout{10000};
  int backend_retries = 2;
  std::string backend_ca;  // PEM CAs for the back ends' HTTPS; "": the system store

  // Clustering over MQTT (roles gateway and manager).
  std::vector<std::string> mqtt_urls{"mqtt://127.0.0.1:1883"};  // tried in turn (failover)
  std::string mqtt_prefix = "cs";                               // MaEVe's topic prefix
  std::string mqtt_group = "manager";                           // shared-subscription group of the managers
  std::string mqtt_username;                                    // "": anonymous
  std::string mqtt_password;                                    // also EVBROKER_MQTT_PASSWORD
  std::string mqtt_ca;                                          // PEM CAs for an mqtts:// broker; "": the system store
  std::string mqtt_client_cert;                                 // PEM client certificate for the broker (optional)
  std::string mqtt_client_key;
  std::string node_id;  // "": derived from the host name (see node_identity())
  // Several managers: this manager owns the stations whose partition (protocol/mqtt_envelope.hpp
  // station_partition) is partition_index of partition_count. 0 of 1: it owns every station.
  std::uint32_t partition_index = 0;
  std::uint32_t partition_count = 1;
};

/// This process's id in the cluster: node_id, or "<hostname>-gw-<ws port>" / "<hostname>-manager".
std::string node_identity(const NodeConfig& config);

/// Where the local PKI lives: pki_dir, or <data_dir>/pki when it is not set.
std::string pki_directory(const NodeConfig& config);

struct ParseOutcome {
  enum class Kind { run, exit_ok, exit_error } kind = Kind::run;
  int exit_code = 0;    // for exit_ok (after --help/--version) or exit_error
  std::string message;  // help text, or the error ("--ws-addr: expected host:port, got 'x'")
};

/// Which checks parse_config makes once every source is applied.
enum class ParseChecks {
  all,            // the node: also the checks across settings (listeners, tokens, credentials)
  settings_only,  // `evbroker ca ...`: each value is checked, their combination is not the command's business
};

/// Parses argv (defaults < --config file < environment < flags) and checks the result (e.g. an API
/// bound to a non-loopback address without a token, a certificate without its key). Never exits
/// the process.
ParseOutcome parse_config(int argc, const char* const* argv, NodeConfig& out, ParseChecks checks = ParseChecks::all);

/// parse_config with a parser that can be kept: the definition of the flags (CLI11's, the costly
/// part) is built once, and each parse starts from nothing, so a parse gives what parse_config would
/// give whatever was parsed before. For callers that parse many command lines (fuzz_config); the
/// node parses one and calls parse_config. Not for two threads at once.
class ConfigParser {
 public:
  ConfigParser();
  ~ConfigParser();
  ConfigParser(const ConfigParser&) = delete;
  ConfigParser& operator=(const ConfigParser&) = delete;
  ParseOutcome parse(int argc, const char* const* argv, NodeConfig& out, ParseChecks checks = ParseChecks::all);

 private:
  struct Definition;
  std::unique_ptr<Definition> definition_;
};

/// Does this node flag ("--data-dir", "-c") take a value as the next argument? False for switches
/// (--sync, --no-trust-proxy, --help, ...) and for flags that are not the node's.
bool flag_takes_value(std::string_view flag);

/// Parses "host:port" / "[v6]:port".
bool parse_endpoint(std::string_view text, Endpoint& out, std::string& error);
bool is_loopback(const Endpoint& endpoint);

}  // namespace evbroker::app
