// The node's configuration: defaults, the TOML file, flags and the environment in their order of
// precedence, every validation error with its message, the help text, and endpoint parsing.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "apps/evbroker/config.hpp"

using namespace evbroker::app;
using Kind = ParseOutcome::Kind;

namespace {

constexpr const char* kTokenEnv = "EVBROKER_API_TOKEN";
constexpr const char* kSecretEnv = "EVBROKER_HUBJECT_CLIENT_SECRET";

/// Sets (or unsets) an environment variable for one scope, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct Parsed {
  ParseOutcome outcome;
  NodeConfig config;
};

/// Runs parse_config on "evbroker <args...>" with EVBROKER_API_TOKEN set to `token_env` and
/// EVBROKER_HUBJECT_CLIENT_SECRET to `secret_env` (both unset by default, so the tester's environment
/// cannot change the result).
Parsed parse(std::vector<std::string> args, std::optional<std::string> token_env = std::nullopt,
             std::optional<std::string> secret_env = std::nullopt, ParseChecks checks = ParseChecks::all) {
  ScopedEnv env(kTokenEnv, std::move(token_env));
  ScopedEnv secret(kSecretEnv, std::move(secret_env));
  args.insert(args.begin(), "evbroker");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  Parsed parsed;
  parsed.outcome = parse_config(static_cast<int>(args.size()), argv.data(), parsed.config, checks);
  return parsed;
}

/// Expects parsing to succeed and returns the configuration.
NodeConfig parse_ok(std::vector<std::string> args, std::optional<std::string> token_env = std::nullopt,
                    std::optional<std::string> secret_env = std::nullopt) {
  auto parsed = parse(std::move(args), std::move(token_env), std::move(secret_env));
  INFO(parsed.outcome.message);
  REQUIRE(parsed.outcome.kind == Kind::run);
  CHECK(parsed.outcome.exit_code == 0);
  CHECK(parsed.outcome.message.empty());
  return parsed.config;
}

/// Expects parsing to fail with exit code 2 and returns the message.
std::string parse_error(std::vector<std::string> args, std::optional<std::string> token_env = std::nullopt) {
  auto parsed = parse(std::move(args), std::move(token_env));
  INFO(parsed.outcome.message);
  REQUIRE(parsed.outcome.kind == Kind::exit_error);
  CHECK(parsed.outcome.exit_code == 2);
  CHECK_FALSE(parsed.outcome.message.empty());
  return parsed.outcome.message;
}

/// A TOML file in a directory of its own, removed at the end of the test.
class TomlFile {
 public:
  explicit TomlFile(const std::string& text) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("evbroker-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "node.toml").string();
    std::ofstream(path_) << text;
  }
  ~TomlFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TomlFile(const TomlFile&) = delete;
  TomlFile& operator=(const TomlFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

/// Every field, one per line, so two configurations compare with a readable difference.
std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += "[" + item + "]";
  return out;
}

std::string describe(const NodeConfig& c) {
  std::ostringstream out;
  out << "data_dir=" << c.data_dir << "\nws_addr=" << c.ws_addr.to_string()
      << "\nwss_addr=" << (c.wss_addr ? c.wss_addr->to_string() : "(off)") << "\ntls_certs=" << joined(c.tls_certs)
      << "\ntls_keys=" << joined(c.tls_keys) << "\ntls_client_ca=" << c.tls_client_ca
      << "\napi_addr=" << c.api_addr.to_string() << "\napi_token=" << c.api_token
      << "\nfiles_addr=" << (c.files_addr ? c.files_addr->to_string() : "(off)") << "\nfiles_url=" << c.files_url
      << "\nmax_firmware_bytes=" << c.max_firmware_bytes << "\nmax_upload_bytes=" << c.max_upload_bytes
      << "\nstation_uploads_max_bytes=" << c.station_uploads_max_bytes
      << "\nheartbeat_interval=" << c.heartbeat_interval.count()
      << "\nboot_retry_interval=" << c.boot_retry_interval.count() << "\nregistration_status=" << c.registration_status
      << "\nboot_provisioning_groups=" << joined(c.boot_provisioning_groups)
      << "\ncall_timeout=" << c.call_timeout.count() << "\nping_interval=" << c.ping_interval.count()
      << "\nmax_frame_bytes=" << c.max_frame_bytes << "\nmax_queued_calls=" << c.max_queued_calls
      << "\nmax_pending_handshakes=" << c.max_pending_handshakes << "\nio_threads=" << c.io_threads
      << "\nactor_threads=" << c.actor_threads << "\nsync=" << c.sync << "\nlog_level=" << c.log_level
      << "\nlog_format=" << (c.log_format == LogFormat::json ? "json" : "text") << "\npki_dir=" << c.pki_dir
      << "\nserver_names=" << joined(c.server_names) << "\ntrust_proxy=" << c.trust_proxy
      << "\nhubject_url=" << c.hubject_url << "\nhubject_token=" << c.hubject_token
      << "\nhubject_token_env=" << c.hubject_token_env << "\nhubject_oauth_url=" << c.hubject_oauth_url
      << "\nhubject_client_id=" << c.hubject_client_id << "\nhubject_client_secret=" << c.hubject_client_secret
      << "\ncontract_roots=" << joined(c.contract_roots) << "\nroot_cache_ttl=" << c.root_cache_ttl.count()
      << "\nbackend_timeout=" << c.backend_timeout.count() << "\nbackend_retries=" << c.backend_retries
      << "\nbackend_ca=" << c.backend_ca << "\nrole=" << role_name(c.role) << "\nmqtt_url=" << joined(c.mqtt_urls)
      << "\nmqtt_prefix=" << c.mqtt_prefix << "\nmqtt_group=" << c.mqtt_group << "\nmqtt_username=" << c.mqtt_username
      << "\nmqtt_password=" << c.mqtt_password << "\nmqtt_ca=" << c.mqtt_ca
      << "\nmqtt_client_cert=" << c.mqtt_client_cert << "\nmqtt_client_key=" << c.mqtt_client_key
      << "\nnode_id=" << c.node_id << "\npartition=" << c.partition_index << "/" << c.partition_count
      << "\nmax_json_depth=" << c.max_json_depth << "\nmax_pending_settings=" << c.max_pending_settings
      << "\nstation_events_max=" << c.station_events_max << "\nstation_events_max_bytes=" << c.station_events_max_bytes
      << "\nstation_device_model_max=" << c.station_device_model_max
      << "\nstation_device_model_max_bytes=" << c.station_device_model_max_bytes
      << "\nstation_meter_values_max=" << c.station_meter_values_max
      << "\nstation_meter_values_max_bytes=" << c.station_meter_values_max_bytes
      << "\nstation_max_connectors=" << c.station_max_connectors << "\nevent_retention=" << c.event_retention.count()
      << "\nlogin_failures_per_station=" << c.login_failures_per_station
      << "\nlogin_failures_per_address=" << c.login_failures_per_address
      << "\nlogin_lockout=" << c.login_lockout.count()
      << "\nmax_handshakes_per_address=" << c.max_handshakes_per_address
      << "\nfirst_bytes_timeout=" << c.first_bytes_timeout.count()
      << "\nhandshake_timeout=" << c.handshake_timeout.count()
      << "\nmax_station_connections=" << c.max_station_connections << "\napi_max_connections=" << c.api_max_connections
      << "\napi_idle_timeout=" << c.api_idle_timeout.count() << "\n";
  return out.str();
}

/// describe() of the embedded defaults. (A default-initialised NodeConfig: "NodeConfig{}" trips a GCC 12
/// -Wmaybe-uninitialized false positive at -O3.)
std::string described_defaults() {
  const NodeConfig defaults;
  return describe(defaults);
}

// Every setting: its TOML key, a value other than the default (flag form and TOML form). For a
// switch, flag_value is the whole flag that sets the non-default value.
struct Example {
  std::string key;
  std::string flag_value;
  std::string toml_value;
  bool is_switch = false;
};
const std::vector<Example> kNonDefaults = {
    {"data_dir", "/var/lib/evbroker", "\"/var/lib/evbroker\""},
    {"ws_addr", "0.0.0.0:19310", "\"0.0.0.0:19310\""},
    {"wss_addr", "[::]:19311", "\"[::]:19311\""},
    {"tls_cert", "/etc/evbroker/server.pem", "\"/etc/evbroker/server.pem\""},
    {"tls_key", "/etc/evbroker/server.key", "\"/etc/evbroker/server.key\""},
    {"tls_client_ca", "/etc/evbroker/ca.pem", "\"/etc/evbroker/ca.pem\""},
    {"api_addr", "10.1.2.3:19410", "\"10.1.2.3:19410\""},
    {"api_token", "s3cret-Token", "\"s3cret-Token\""},
    {"heartbeat_interval", "120", "120"},
    {"boot_retry_interval", "15", "15"},
    {"registration_status", "Pending", "\"Pending\""},
    {"boot_provisioning_groups", "depot,*", "[\"depot\", \"*\"]"},
    {"files_addr", "0.0.0.0:19412", "\"0.0.0.0:19412\""},
    {"files_url", "https://files.example:8443", "\"https://files.example:8443\""},
    {"max_firmware_bytes", "1048576", "1048576"},
    {"max_upload_bytes", "65536", "65536"},
    {"station_uploads_max_bytes", "131072", "131072"},
    {"call_timeout", "45", "45"},
    {"ping_interval", "20", "20"},
    {"max_frame_bytes", "65536", "65536"},
    {"max_queued_calls", "8", "8"},
    {"max_pending_handshakes", "256", "256"},
    {"io_threads", "3", "3"},
    {"actor_threads", "5", "5"},
    {"sync", "--no-sync", "false", true},
    {"log_level", "debug", "\"debug\""},
    {"log_format", "json", "\"json\""},
    {"pki_dir", "/etc/evbroker/pki", "\"/etc/evbroker/pki\""},
    {"server_names", "csms.example.com, 10.0.0.7", "[\"csms.example.com\", \"10.0.0.7\"]"},
    {"trust_proxy", "--trust-proxy", "true", true},
    {"hubject_url", "https://hubject.example", "\"https://hubject.example\""},
    {"hubject_token", "fixed-Token", "\"fixed-Token\""},
    {"hubject_token_env", "HUBJECT_TOKEN", "\"HUBJECT_TOKEN\""},
    {"hubject_oauth_url", "https://auth.example/token", "\"https://auth.example/token\""},
    {"hubject_client_id", "client-1", "\"client-1\""},
    {"hubject_client_secret", "very secret", "\"very secret\""},
    {"contract_roots", "/etc/evbroker/v2g.pem,/etc/evbroker/mo.pem",
     "[\"/etc/evbroker/v2g.pem\", \"/etc/evbroker/mo.pem\"]"},
    {"root_cache_ttl", "600", "600"},
    {"backend_timeout", "2500", "2500"},
    {"backend_retries", "0", "0"},
    {"backend_ca", "/etc/evbroker/backend-ca.pem", "\"/etc/evbroker/backend-ca.pem\""},
    {"role", "manager", "\"manager\""},
    {"mqtt_url", "mqtts://b1:8883,mqtt://b2:1883", "[\"mqtts://b1:8883\", \"mqtt://b2:1883\"]"},
    {"mqtt_prefix", "site1/cs", "\"site1/cs\""},
    {"mqtt_group", "managers-eu", "\"managers-eu\""},
    {"mqtt_username", "evbroker", "\"evbroker\""},
    {"mqtt_password", "mqtt-pass", "\"mqtt-pass\""},
    {"mqtt_ca", "/etc/evbroker/mqtt-ca.pem", "\"/etc/evbroker/mqtt-ca.pem\""},
    {"mqtt_client_cert", "/etc/evbroker/mqtt.pem", "\"/etc/evbroker/mqtt.pem\""},
    {"mqtt_client_key", "/etc/evbroker/mqtt.key", "\"/etc/evbroker/mqtt.key\""},
    {"node_id", "m1", "\"m1\""},
    {"partition", "1/3", "\"1/3\""},
    {"max_json_depth", "32", "32"},
    {"max_pending_settings", "50", "50"},
    {"station_events_max", "100", "100"},
    {"station_events_max_bytes", "65536", "65536"},
    {"station_device_model_max", "200", "200"},
    {"station_device_model_max_bytes", "131072", "131072"},
    {"station_meter_values_max", "300", "300"},
    {"station_meter_values_max_bytes", "262144", "262144"},
    {"station_max_connectors", "16", "16"},
    {"event_retention", "0", "0"},
    {"login_failures_per_station", "3", "3"},
    {"login_failures_per_address", "0", "0"},
    {"login_lockout", "120", "120"},
    {"max_handshakes_per_address", "0", "0"},
    {"first_bytes_timeout", "2", "2"},
    {"handshake_timeout", "20", "20"},
    {"max_station_connections", "5000", "5000"},
    {"api_max_connections", "16", "16"},
    {"api_idle_timeout", "5", "5"},
};

void check_non_defaults(const NodeConfig& c) {
  CHECK(c.data_dir == "/var/lib/evbroker");
  CHECK(c.ws_addr.host == "0.0.0.0");
  CHECK(c.ws_addr.port == 19310);
  REQUIRE(c.wss_addr.has_value());
  CHECK(c.wss_addr->host == "::");
  CHECK(c.wss_addr->port == 19311);
  CHECK(c.tls_certs == std::vector<std::string>{"/etc/evbroker/server.pem"});
  CHECK(c.tls_keys == std::vector<std::string>{"/etc/evbroker/server.key"});
  CHECK(c.tls_client_ca == "/etc/evbroker/ca.pem");
  CHECK(c.api_addr.host == "10.1.2.3");
  CHECK(c.api_addr.port == 19410);
  CHECK(c.api_token == "s3cret-Token");
  CHECK(c.heartbeat_interval == std::chrono::seconds{120});
  CHECK(c.call_timeout == std::chrono::seconds{45});
  CHECK(c.ping_interval == std::chrono::seconds{20});
  CHECK(c.max_frame_bytes == 65536);
  CHECK(c.max_queued_calls == 8);
  CHECK(c.max_pending_handshakes == 256);
  CHECK(c.io_threads == 3);
  CHECK(c.actor_threads == 5);
  CHECK_FALSE(c.sync);
  CHECK(c.log_level == "debug");
  CHECK(c.log_format == LogFormat::json);
  CHECK(c.pki_dir == "/etc/evbroker/pki");
  CHECK(c.server_names == std::vector<std::string>{"csms.example.com", "10.0.0.7"});
  CHECK(c.boot_provisioning_groups == std::vector<std::string>{"depot", "*"});
  CHECK(c.trust_proxy);
  CHECK(c.hubject_url == "https://hubject.example");
  CHECK(c.hubject_token == "fixed-Token");
  CHECK(c.hubject_token_env == "HUBJECT_TOKEN");
  CHECK(c.hubject_oauth_url == "https://auth.example/token");
  CHECK(c.hubject_client_id == "client-1");
  CHECK(c.hubject_client_secret == "very secret");
  CHECK(c.contract_roots == std::vector<std::string>{"/etc/evbroker/v2g.pem", "/etc/evbroker/mo.pem"});
  CHECK(c.root_cache_ttl == std::chrono::seconds{600});
  CHECK(c.backend_timeout == std::chrono::milliseconds{2500});
  CHECK(c.backend_retries == 0);
  CHECK(c.backend_ca == "/etc/evbroker/backend-ca.pem");
  CHECK(c.role == Role::manager);
  CHECK(c.mqtt_urls == std::vector<std::string>{"mqtts://b1:8883", "mqtt://b2:1883"});
  CHECK(c.mqtt_prefix == "site1/cs");
  CHECK(c.mqtt_group == "managers-eu");
  CHECK(c.mqtt_username == "evbroker");
  CHECK(c.mqtt_password == "mqtt-pass");
  CHECK(c.mqtt_ca == "/etc/evbroker/mqtt-ca.pem");
  CHECK(c.mqtt_client_cert == "/etc/evbroker/mqtt.pem");
  CHECK(c.mqtt_client_key == "/etc/evbroker/mqtt.key");
  CHECK(c.node_id == "m1");
  CHECK(c.partition_index == 1);
  CHECK(c.partition_count == 3);
  CHECK(c.max_json_depth == 32);
  CHECK(c.max_pending_settings == 50);
  CHECK(c.station_events_max == 100);
  CHECK(c.station_events_max_bytes == 65536);
  CHECK(c.station_device_model_max == 200);
  CHECK(c.station_device_model_max_bytes == 131072);
  CHECK(c.station_meter_values_max == 300);
  CHECK(c.station_meter_values_max_bytes == 262144);
  CHECK(c.station_max_connectors == 16);
  CHECK(c.event_retention == std::chrono::seconds{0});
  CHECK(c.login_failures_per_station == 3);
  CHECK(c.login_failures_per_address == 0);
  CHECK(c.login_lockout == std::chrono::seconds{120});
  CHECK(c.max_handshakes_per_address == 0);
  CHECK(c.first_bytes_timeout == std::chrono::seconds{2});
  CHECK(c.handshake_timeout == std::chrono::seconds{20});
  CHECK(c.max_station_connections == 5000);
  CHECK(c.api_max_connections == 16);
  CHECK(c.api_idle_timeout == std::chrono::seconds{5});
}

std::string flag_of(std::string key) {
  for (auto& ch : key) {
    if (ch == '_') ch = '-';
  }
  return "--" + key;
}

}  // namespace

// ---- defaults and precedence ---------------------------------------------------------------------

TEST_CASE("no arguments give the embedded defaults", "[config]") {
  auto c = parse_ok({});
  CHECK(c.data_dir == "./data");
  CHECK(c.ws_addr.to_string() == "127.0.0.1:9310");
  REQUIRE(c.wss_addr.has_value());  // on by default, with the local PKI's server certificate
  CHECK(c.wss_addr->to_string() == "127.0.0.1:9311");
  CHECK(c.tls_certs.empty());
  CHECK(c.tls_keys.empty());
  CHECK(c.tls_client_ca.empty());
  CHECK(c.api_addr.to_string() == "127.0.0.1:9410");
  CHECK(c.api_token.empty());
  CHECK(c.heartbeat_interval == std::chrono::seconds{300});
  CHECK(c.call_timeout == std::chrono::seconds{30});
  CHECK(c.ping_interval == std::chrono::seconds{60});
  CHECK(c.max_frame_bytes == 256 * 1024);
  CHECK(c.max_queued_calls == 32);
  CHECK(c.max_pending_handshakes == 1024);
  CHECK(c.io_threads == 0);
  CHECK(c.actor_threads == 0);
  CHECK(c.sync);
  CHECK(c.log_level == "info");
  CHECK(c.log_format == LogFormat::text);
  CHECK(c.pki_dir.empty());
  CHECK(pki_directory(c) == "./data/pki");
  CHECK(c.server_names.empty());
  CHECK_FALSE(c.trust_proxy);
  CHECK(c.hubject_url.empty());
  CHECK(c.hubject_token.empty());
  CHECK(c.hubject_token_env.empty());
  CHECK(c.hubject_oauth_url.empty());
  CHECK(c.hubject_client_id.empty());
  CHECK(c.hubject_client_secret.empty());
  CHECK(c.contract_roots.empty());
  CHECK(c.root_cache_ttl == std::chrono::seconds{3600});
  CHECK(c.backend_timeout == std::chrono::milliseconds{10000});
  CHECK(c.backend_retries == 2);
  CHECK(c.backend_ca.empty());
  CHECK(c.role == Role::all);
  CHECK(c.mqtt_urls == std::vector<std::string>{"mqtt://127.0.0.1:1883"});
  CHECK(c.mqtt_prefix == "cs");
  CHECK(c.mqtt_group == "manager");
  CHECK(c.node_id.empty());
  CHECK(describe(c) == described_defaults());
}

TEST_CASE("an empty argv (argc 0) is treated as no arguments", "[config]") {
  ScopedEnv env(kTokenEnv, std::nullopt);
  const char* argv[] = {nullptr};
  NodeConfig c;
  c.data_dir = "changed";
  auto outcome = parse_config(0, argv, c);
  CHECK(outcome.kind == Kind::run);
  CHECK(describe(c) == described_defaults());
}

TEST_CASE("every setting has a flag that sets it", "[config]") {
  std::vector<std::string> args;
  for (const auto& e : kNonDefaults) {
    if (e.is_switch) {
      args.push_back(e.flag_value);
      continue;
    }
    args.push_back(flag_of(e.key));
    args.push_back(e.flag_value);
  }
  check_non_defaults(parse_ok(args));
}

TEST_CASE("every setting has a TOML key that sets it", "[config]") {
  std::string text;
  for (const auto& e : kNonDefaults) text += e.key + " = " + e.toml_value + "\n";
  TomlFile file(text);
  check_non_defaults(parse_ok({"--config", file.path()}));
  check_non_defaults(parse_ok({"-c", file.path()}));
}

TEST_CASE("flags override the TOML file, which overrides the defaults", "[config]") {
  TomlFile file(
      "# a comment\n"
      "ws_addr = \"0.0.0.0:9000\"\n"
      "heartbeat_interval = 60\n"
      "log_level = \"warn\"\n"
      "sync = false\n");
  auto c = parse_ok({"--heartbeat-interval", "90", "--config", file.path(), "--log-level=debug", "--sync"});
  CHECK(c.heartbeat_interval == std::chrono::seconds{90});  // flag over file
  CHECK(c.log_level == "debug");                            // flag (--x=y form) over file
  CHECK(c.sync);                                            // --sync over sync = false
  CHECK(c.ws_addr.to_string() == "0.0.0.0:9000");           // file over default
  CHECK(c.call_timeout == std::chrono::seconds{30});        // default
  CHECK(c.api_addr.to_string() == "127.0.0.1:9410");        // default
}

TEST_CASE("a flag given twice takes the last value", "[config]") {
  CHECK(parse_ok({"--call-timeout", "5", "--call-timeout", "7"}).call_timeout == std::chrono::seconds{7});
  CHECK_FALSE(parse_ok({"--sync", "--no-sync"}).sync);
  CHECK(parse_ok({"--no-sync", "--sync"}).sync);
}

TEST_CASE("an empty --wss-addr turns off the wss listener of the file", "[config]") {
  TomlFile file("wss_addr = \"0.0.0.0:9311\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n");
  CHECK(parse_ok({"--config", file.path()}).wss_addr.has_value());
  CHECK_FALSE(parse_ok({"--config", file.path(), "--wss-addr", ""}).wss_addr.has_value());
}

TEST_CASE("the configuration is left untouched when parsing fails or exits", "[config]") {
  ScopedEnv env(kTokenEnv, std::nullopt);
  NodeConfig c;
  c.data_dir = "mine";
  const char* bad[] = {"evbroker", "--data-dir", "/x", "--heartbeat-interval", "0", nullptr};
  CHECK(parse_config(5, bad, c).kind == Kind::exit_error);
  const char* help[] = {"evbroker", "--data-dir", "/x", "--help", nullptr};
  CHECK(parse_config(4, help, c).kind == Kind::exit_ok);
  CHECK(c.data_dir == "mine");
}

TEST_CASE("a kept ConfigParser gives what parse_config gives, whatever it parsed before", "[config]") {
  ScopedEnv env(kTokenEnv, std::nullopt);
  TomlFile file("heartbeat_interval = 60\nsync = false\nlog_level = \"warn\"\n");
  TomlFile broken("heartbeat_interval = \"soon\"\n");
  std::vector<std::string> every_flag;
  for (const auto& e : kNonDefaults) {
    if (!e.is_switch) every_flag.push_back(flag_of(e.key));
    every_flag.push_back(e.flag_value);
  }
  // Each command line is parsed right after the others, so what one sets (every flag, --config,
  // --no-sync, an error half-way, --help) must not leak into the next.
  const std::vector<std::vector<std::string>> lines = {
      every_flag,
      {},
      {"--config", file.path()},
      {"--no-sync", "--heartbeat-interval", "0"},
      {"--sync"},
      {"--config", broken.path()},
      {"--config="},
      {"--data-dir", "/x", "--help"},
      {"--version"},
      {"--nonsense", "--config", file.path()},
      {"positional"},
      {"--api-token", "t0ken-with-enough-length", "--api-addr", "0.0.0.0:9410"},
      {"--api-addr", "0.0.0.0:9410"},
      {"--config", file.path(), "--log-level=debug"},
      {},
  };
  ConfigParser kept;
  for (const auto& line : lines) {
    std::vector<std::string> args = line;
    args.insert(args.begin(), "evbroker");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    NodeConfig from_kept;
    NodeConfig from_fresh;
    const ParseOutcome kept_outcome = kept.parse(static_cast<int>(args.size()), argv.data(), from_kept);
    const ParseOutcome fresh_outcome = parse_config(static_cast<int>(args.size()), argv.data(), from_fresh);
    INFO("evbroker " << Catch::Detail::stringify(line));
    CHECK(kept_outcome.kind == fresh_outcome.kind);
    CHECK(kept_outcome.exit_code == fresh_outcome.exit_code);
    CHECK(kept_outcome.message == fresh_outcome.message);
    CHECK(describe(from_kept) == describe(from_fresh));
    CHECK(from_kept.api_token_on_command_line == from_fresh.api_token_on_command_line);
  }
}

TEST_CASE("a kept ConfigParser reads switches right across thousands of parses", "[config]") {
  // CLI11 never forgets the order of the options given; the parser starts afresh past a bound, and
  // only this parse's order decides which of --X and --no-X came last.
  ConfigParser kept;
  auto sync_after = [&kept](std::vector<const char*> argv) {
    argv.insert(argv.begin(), "evbroker");
    NodeConfig config;
    REQUIRE(kept.parse(static_cast<int>(argv.size()), argv.data(), config).kind == ParseOutcome::Kind::run);
    return config.sync;
  };
  for (int i = 0; i < 3000; ++i) {
    INFO("parse " << i);
    REQUIRE(sync_after({"--sync", "--no-sync"}) == false);
    REQUIRE(sync_after({"--sync"}) == true);
    REQUIRE(sync_after({}) == true);
  }
}

// ---- the API token from the environment ----------------------------------------------------------

TEST_CASE("the API token comes from EVBROKER_API_TOKEN when the flag is not given", "[config][env]") {
  CHECK(parse_ok({}, "from-env").api_token == "from-env");
  // With a token from the environment the API may listen on every interface.
  CHECK(parse_ok({"--api-addr", "0.0.0.0:9410"}, "from-env").api_addr.to_string() == "0.0.0.0:9410");
}

TEST_CASE("the --api-token flag wins over EVBROKER_API_TOKEN", "[config][env]") {
  CHECK(parse_ok({"--api-token", "from-flag"}, "from-env").api_token == "from-flag");
  CHECK(parse_ok({"--api-token=from-flag"}, "from-env").api_token == "from-flag");
}

TEST_CASE("EVBROKER_API_TOKEN wins over api_token in the file", "[config][env]") {
  TomlFile file("api_token = \"from-file\"\n");
  CHECK(parse_ok({"--config", file.path()}).api_token == "from-file");
  CHECK(parse_ok({"--config", file.path()}, "from-env").api_token == "from-env");
}

TEST_CASE("an empty EVBROKER_API_TOKEN counts as unset", "[config][env]") {
  CHECK(parse_ok({}, "").api_token.empty());
  CHECK_THAT(parse_error({"--api-addr", "0.0.0.0:9410"}, ""), Catch::Contains("needs a token"));
}

TEST_CASE("a bad token from the environment is reported under the variable's name", "[config][env]") {
  CHECK(parse_error({}, "two words") ==
        "EVBROKER_API_TOKEN: must be visible ASCII characters only (no spaces or control characters)");
  CHECK_THAT(parse_error({"--api-token", "a\tb"}), Catch::StartsWith("--api-token: must be visible ASCII"));
}

// ---- command-line errors -------------------------------------------------------------------------

TEST_CASE("an unknown flag is an error naming it", "[config][errors]") {
  CHECK(parse_error({"--bogus"}) == "unknown option '--bogus' (see evbroker --help)");
  CHECK(parse_error({"--bogus=1"}) == "unknown option '--bogus' (see evbroker --help)");
  CHECK(parse_error({"--ws-addr", "0.0.0.0:1", "-x"}) == "unknown option '-x' (see evbroker --help)");
}

TEST_CASE("a switch's --no- form reads its value as the switch does, whatever the value", "[config][errors]") {
  // CLI11's negated names read a number there with std::stoll and negate it: one too long for 64
  // bits escaped as out_of_range (which aborted the node) and -2^63 overflowed, also when spelled
  // inside a short-option cluster (-h-no-sync=...; three long fuzz_config findings). --no-X is a
  // switch of its own now, read by CLI11's boolean conversion like --X.
  const std::string huge(30, '9');
  CHECK_FALSE(parse_ok({"--no-sync=" + huge}).sync);
  CHECK(parse_ok({"--sync=" + huge}).sync);
  CHECK(parse_ok({"--no-sync=-9223372036854775808"}).sync);
  CHECK(parse_ok({"--no-sync=-" + huge}).sync);
  CHECK_FALSE(parse_ok({"--no-sync=yes"}).sync);
  CHECK_FALSE(parse_ok({"--no-sync=TRUE"}).sync);
  CHECK(parse_ok({"--no-sync=off"}).sync);
  CHECK(parse_ok({"--no-sync=0"}).sync);
  CHECK_FALSE(parse_ok({"--no-sync"}).sync);
  CHECK(parse_ok({"--no-trust-proxy=" + huge, "--trust-proxy=" + huge}).trust_proxy);  // the last one wins
  CHECK_FALSE(parse_ok({"--trust-proxy", "--no-trust-proxy=" + huge}).trust_proxy);
  CHECK(parse_error({"--no-sync=maybe"}) ==
        "--no-sync: expected yes/no, true/false, on/off or 1/0, got 'maybe' (see evbroker --help)");
  CHECK(parse_error({"--sync=1e3"}) ==
        "--sync: expected yes/no, true/false, on/off or 1/0, got '1e3' (see evbroker --help)");
  CHECK(parse_error({"--no-such=12"}) == "unknown option '--no-such' (see evbroker --help)");
}

TEST_CASE("a positional argument is an error", "[config][errors]") {
  CHECK(parse_error({"node.toml"}) == "unexpected argument 'node.toml' (evbroker takes no positional arguments)");
}

TEST_CASE("a flag without its value is an error", "[config][errors]") {
  CHECK_THAT(parse_error({"--ws-addr"}), Catch::StartsWith("--ws-addr") && Catch::Contains("missing"));
}

TEST_CASE("a value that is not a number is an error naming the flag", "[config][errors]") {
  CHECK(parse_error({"--heartbeat-interval", "5m"}) ==
        "--heartbeat-interval: expected a whole number of seconds, got '5m'");
  CHECK(parse_error({"--max-frame-bytes", "64k"}) == "--max-frame-bytes: expected a whole number of bytes, got '64k'");
  CHECK(parse_error({"--io-threads", ""}) == "--io-threads: expected a whole number of threads, got ''");
  CHECK(parse_error({"--call-timeout", "99999999999999999999"}) ==
        "--call-timeout: value 99999999999999999999 out of range");
}

TEST_CASE("durations must be positive", "[config][errors]") {
  for (const char* flag : {"--heartbeat-interval", "--call-timeout", "--ping-interval"}) {
    CAPTURE(flag);
    CHECK(parse_error({flag, "0"}) == std::string(flag) + ": must be between 1 and 2147483647 seconds, got 0");
    CHECK(parse_error({flag, "-5"}) == std::string(flag) + ": must be between 1 and 2147483647 seconds, got -5");
    CHECK(parse_error({flag, "2147483648"}) ==
          std::string(flag) + ": must be between 1 and 2147483647 seconds, got 2147483648");
    CHECK_NOTHROW(parse_ok({flag, "1"}));
  }
}

TEST_CASE("max_frame_bytes must be at least 1024", "[config][errors]") {
  CHECK(parse_error({"--max-frame-bytes", "1023"}) == "--max-frame-bytes: must be between 1024 and 67108864, got 1023");
  CHECK(parse_ok({"--max-frame-bytes", "1024"}).max_frame_bytes == 1024);
  CHECK(parse_error({"--max-frame-bytes", "67108865"}) ==
        "--max-frame-bytes: must be between 1024 and 67108864, got 67108865");
}

TEST_CASE("queue and handshake limits must be at least 1, thread counts at most 1024", "[config][errors]") {
  CHECK(parse_error({"--max-queued-calls", "0"}) == "--max-queued-calls: must be between 1 and 2147483647, got 0");
  CHECK(parse_error({"--max-pending-handshakes", "0"}) ==
        "--max-pending-handshakes: must be between 1 and 2147483647, got 0");
  CHECK(parse_error({"--io-threads", "-1"}) == "--io-threads: must be between 0 (one per core) and 1024, got -1");
  CHECK(parse_error({"--actor-threads", "5000"}) ==
        "--actor-threads: must be between 0 (one per core) and 1024, got 5000");
}

TEST_CASE("log_level must be one of trace debug info warn error off", "[config][errors]") {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    CHECK(parse_ok({"--log-level", level}).log_level == level);
  }
  CHECK(parse_error({"--log-level", "verbose"}) ==
        "--log-level: expected one of trace, debug, info, warn, error, off, got 'verbose'");
  CHECK(parse_error({"--log-level", "INFO"}) ==
        "--log-level: expected one of trace, debug, info, warn, error, off, got 'INFO'");
}

TEST_CASE("log_format must be text or json", "[config][errors]") {
  CHECK(parse_ok({"--log-format", "json"}).log_format == LogFormat::json);
  CHECK(parse_ok({"--log-format", "text"}).log_format == LogFormat::text);
  CHECK(parse_error({"--log-format", "xml"}) == "--log-format: expected text or json, got 'xml'");
}

TEST_CASE("data_dir must not be empty", "[config][errors]") {
  CHECK(parse_error({"--data-dir", ""}) == "--data-dir: must not be empty");
}

TEST_CASE("a bad endpoint is an error naming the flag", "[config][errors]") {
  CHECK(parse_error({"--ws-addr", "x"}) == "--ws-addr: expected host:port, got 'x'");
  CHECK(parse_error({"--api-addr", "localhost:http"}) ==
        "--api-addr: expected a port number after the last ':', got 'localhost:http'");
  CHECK(parse_error({"--wss-addr", "::1:9311"}) ==
        "--wss-addr: an IPv6 address needs brackets, as in [::1]:9310, got '::1:9311'");
  CHECK_THAT(parse_error({"--ws-addr", ":9310"}), Catch::StartsWith("--ws-addr: missing host in ':9310'"));
}

TEST_CASE("a port outside 1-65535 is an error", "[config][errors]") {
  CHECK(parse_error({"--ws-addr", "0.0.0.0:0"}) == "--ws-addr: port 0 out of range 1-65535");
  CHECK(parse_error({"--ws-addr", "0.0.0.0:65536"}) == "--ws-addr: port 65536 out of range 1-65535");
  CHECK(parse_error({"--api-addr", "[::1]:99999999999999999999999"}) ==
        "--api-addr: port 99999999999999999999999 out of range 1-65535");
  CHECK(parse_ok({"--ws-addr", "0.0.0.0:65535"}).ws_addr.port == 65535);
  CHECK(parse_ok({"--ws-addr", "0.0.0.0:1"}).ws_addr.port == 1);
}

TEST_CASE("the API token can come from a file, never from two places at once", "[config][errors]") {
  TomlFile token("From-A-File\n");  // any file: its first line is the token
  auto c = parse_ok({"--api-token-file", token.path(), "--api-addr", "0.0.0.0:9410"});
  CHECK(c.api_token == "From-A-File");
  CHECK_FALSE(c.api_token_on_command_line);
  CHECK(parse_error({"--api-token-file", token.path(), "--api-token", "t"}) ==
        "api_token_file " + token.path() +
            " and api_token (--api-token, EVBROKER_API_TOKEN or the config file) are both set: give the token once");
  CHECK(parse_error({"--api-token-file", token.path()}, "env-token").find("both set") != std::string::npos);
  CHECK(parse_error({"--api-token-file", "/no/such/file"}).starts_with("api_token_file: cannot open '/no/such/file'"));
  TomlFile empty("\n");
  CHECK(parse_error({"--api-token-file", empty.path()}) ==
        "api_token_file '" + empty.path() + "': the first line is empty");
  TomlFile spaced("two words\n");
  CHECK(parse_error({"--api-token-file", spaced.path()}).find("visible ASCII") != std::string::npos);
  CHECK(parse_ok({"--api-token", "t"}).api_token_on_command_line);
  CHECK_FALSE(parse_ok({}, "env-token").api_token_on_command_line);
}

TEST_CASE("an API on a non-loopback address needs a token", "[config][errors]") {
  for (const char* addr :
       {"0.0.0.0:9410", "10.0.0.5:9410", "[::]:9410", "[2001:db8::1]:9410", "api.example.com:9410"}) {
    CAPTURE(addr);
    CHECK(parse_error({"--api-addr", addr}) ==
          "api_addr " + std::string(addr) +
              " is not a loopback address, so the management API needs a token: set api_token (--api-token, the "
              "environment variable EVBROKER_API_TOKEN or api_token in the config file), or bind the API to "
              "127.0.0.1");
    CHECK(parse_ok({"--api-addr", addr, "--api-token", "t"}).api_token == "t");
  }
  for (const char* addr : {"127.0.0.1:9410", "127.8.9.10:9410", "[::1]:9410", "localhost:9410", "LOCALHOST:9410"}) {
    CAPTURE(addr);
    CHECK(parse_ok({"--api-addr", addr}).api_token.empty());
  }
}

TEST_CASE("wss uses the local PKI unless a certificate and its key are both given", "[config][errors]") {
  CHECK(parse_ok({"--wss-addr", "0.0.0.0:9311"}).tls_certs.empty());
  CHECK(parse_error({"--tls-cert", "c.pem"}) ==
        "tls_cert c.pem needs its private key: set tls_key (--tls-key FILE) as well");
  CHECK(parse_error({"--tls-key", "k.pem"}) ==
        "tls_key k.pem is set without tls_cert: set both (--tls-cert FILE --tls-key FILE), or neither to use the "
        "local PKI's server certificate");
  auto c = parse_ok({"--wss-addr", "0.0.0.0:9311", "--tls-cert", "c.pem", "--tls-key", "k.pem"});
  REQUIRE(c.wss_addr.has_value());
  CHECK(c.wss_addr->to_string() == "0.0.0.0:9311");
  CHECK(c.tls_certs == std::vector<std::string>{"c.pem"});
  CHECK(c.tls_keys == std::vector<std::string>{"k.pem"});
}

TEST_CASE("the flags --tls-cert and --tls-key given twice pair the n-th certificate with the n-th key",
          "[config][tls]") {
  const auto c =
      parse_ok({"--tls-cert", "rsa.pem", "--tls-key", "rsa.key", "--tls-cert=ec,1.pem", "--tls-key", "ec.key"});
  // In the order given, and never split on commas (a file name may hold one).
  CHECK(c.tls_certs == std::vector<std::string>{"rsa.pem", "ec,1.pem"});
  CHECK(c.tls_keys == std::vector<std::string>{"rsa.key", "ec.key"});
}

TEST_CASE("the TOML file gives tls_cert and tls_key as a string or as a list", "[config][tls]") {
  TomlFile one("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n");
  CHECK(parse_ok({"--config", one.path()}).tls_certs == std::vector<std::string>{"c.pem"});
  TomlFile two("tls_cert = [\"rsa.pem\", \"ec.pem\"]\ntls_key = [\"rsa.key\", \"ec.key\"]\n");
  const auto c = parse_ok({"--config", two.path()});
  CHECK(c.tls_certs == std::vector<std::string>{"rsa.pem", "ec.pem"});
  CHECK(c.tls_keys == std::vector<std::string>{"rsa.key", "ec.key"});
  // Flags replace the file's list; an empty one goes back to the local PKI.
  CHECK(parse_ok({"--config", two.path(), "--tls-cert", "x.pem", "--tls-key", "x.key"}).tls_certs ==
        std::vector<std::string>{"x.pem"});
  CHECK(parse_ok({"--config", two.path(), "--tls-cert", "", "--tls-key", ""}).tls_certs.empty());
  TomlFile number("tls_cert = 3\n");
  CHECK(parse_error({"--config", number.path()}) ==
        number.path() + ":1:12: tls_cert: expected a string or an array of strings, got an integer");
  TomlFile mixed("tls_cert = [\"c.pem\", 3]\n");
  CHECK(parse_error({"--config", mixed.path()}) ==
        mixed.path() + ":1:12: tls_cert: expected an array of strings, found an integer in it");
}

TEST_CASE("mismatched --tls-cert and --tls-key counts are refused", "[config][tls][errors]") {
  CHECK(parse_error({"--tls-cert", "rsa.pem", "--tls-cert", "ec.pem", "--tls-key", "rsa.key"}) ==
        "tls_cert names 2 certificates (rsa.pem, ec.pem) but tls_key 1 key (rsa.key): give one --tls-key per "
        "--tls-cert, in the same order (the n-th key belongs to the n-th certificate)");
  CHECK(parse_error({"--tls-cert", "rsa.pem", "--tls-cert", "ec.pem"}) ==
        "tls_cert rsa.pem, ec.pem need their private keys: set tls_key (--tls-key FILE) as well");
  CHECK(parse_error({"--tls-cert", "rsa.pem", "--tls-cert", "", "--tls-key", "k"}) ==
        "--tls-cert: empty file name among several files");
}

TEST_CASE("the default wss port counts as a listener", "[config][errors]") {
  CHECK(parse_error({"--ws-addr", "127.0.0.1:9311"}) ==
        "ws_addr 127.0.0.1:9311 and wss_addr 127.0.0.1:9311 would listen on the same port");
  CHECK(parse_ok({"--ws-addr", "127.0.0.1:9311", "--wss-addr", ""}).ws_addr.port == 9311);
}

TEST_CASE("two listeners on the same port are an error", "[config][errors]") {
  CHECK(parse_error({"--ws-addr", "127.0.0.1:9410"}) ==
        "ws_addr 127.0.0.1:9410 and api_addr 127.0.0.1:9410 would listen on the same port");
  CHECK(parse_error({"--ws-addr", "0.0.0.0:9410"}) ==
        "ws_addr 0.0.0.0:9410 and api_addr 127.0.0.1:9410 would listen on the same port");
  CHECK(parse_error({"--wss-addr", "0.0.0.0:9310", "--tls-cert", "c", "--tls-key", "k"}) ==
        "ws_addr 127.0.0.1:9310 and wss_addr 0.0.0.0:9310 would listen on the same port");
  // Same port on two different specific addresses is fine.
  CHECK_NOTHROW(parse_ok({"--ws-addr", "127.0.0.2:9410"}));
}

// ---- TOML errors ---------------------------------------------------------------------------------

TEST_CASE("an unknown TOML key is an error naming the key, the file and the line", "[config][toml]") {
  TomlFile file("ws_addr = \"0.0.0.0:9000\"\n\nheartbeat = 30\n");
  CHECK(parse_error({"--config", file.path()}) == file.path() + ":3:1: unknown key 'heartbeat'");
}

TEST_CASE("of several TOML problems the first in the file is reported", "[config][toml]") {
  // The parser keeps keys in alphabetical order: "aaa" on line 2 must not hide the error on line 1.
  TomlFile file("ws_addr = \"nope\"\naaa = 1\n");
  CHECK(parse_error({"--config", file.path()}) == file.path() + ":1:11: ws_addr: expected host:port, got 'nope'");
}

TEST_CASE("a TOML key spelt with dashes suggests the underscore form", "[config][toml]") {
  TomlFile file("data-dir = \"/tmp\"\n");
  CHECK(parse_error({"--config", file.path()}) ==
        file.path() + ":1:1: unknown key 'data-dir' (did you mean 'data_dir'?)");
}

TEST_CASE("a TOML table is an unknown key", "[config][toml]") {
  TomlFile file("log_level = \"info\"\n[api]\naddr = \"127.0.0.1:1\"\n");
  CHECK(parse_error({"--config", file.path()}) ==
        file.path() + ":2:2: unknown key 'api' (settings are top-level keys: the file has no tables)");
}

TEST_CASE("a TOML syntax error names the file, line and column", "[config][toml]") {
  TomlFile file("log_level = \"info\"\nws_addr = 0.0.0.0:9000\n");
  auto message = parse_error({"--config", file.path()});
  CHECK_THAT(message, Catch::Matches(std::regex_replace(file.path(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                     R"(:2:\d+: .+)"));
}

TEST_CASE("a non-ASCII character outside a string is refused before toml++ reads the file", "[config][toml]") {
  // toml++ 3.3.0 reaches __builtin_unreachable() for it (apps/evbroker/toml_guard.hpp).
  TomlFile file("log_level = \"info\"\ncaf\u00e9 = 1\n");
  CHECK(parse_error({"--config", file.path()}) ==
        file.path() +
            ":2:4: non-ASCII character U+00E9 outside a string or comment (TOML allows only A-Z a-z 0-9 _ - in bare "
            "keys; quote the key or the value)");
}

TEST_CASE("non-ASCII text the TOML library trips on is refused in strings and blanked in comments", "[config][toml]") {
  {
    TomlFile file("# caf\u00e9 \u3042\ndata_dir = \"/srv/\u4e2d\" # \u00e9\n");
    CHECK(parse_ok({"--config", file.path()}).data_dir == "/srv/\u4e2d");
  }
  {
    TomlFile file("data_dir = \"/srv/\u00e9vbroker\"\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() +
              ":1:18: character U+00E9 in a string: the TOML library of this build (toml++ 3.3.0) cannot read it "
              "safely; write it as \\u00E9 in a \"...\" string");
  }
  {
    TomlFile file("data_dir = \"/srv/\\u00E9vbroker\"\n");
    CHECK(parse_ok({"--config", file.path()}).data_dir == "/srv/\u00e9vbroker");
  }
}

TEST_CASE("a TOML value of the wrong type or out of range names the key and its position", "[config][toml]") {
  {
    TomlFile file("heartbeat_interval = \"60\"\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() + ":1:22: heartbeat_interval: expected an integer (seconds), got a string");
  }
  {
    TomlFile file("sync = \"no\"\n");
    CHECK(parse_error({"--config", file.path()}) == file.path() + ":1:8: sync: expected true or false, got a string");
  }
  {
    TomlFile file("ws_addr = 9310\n");
    CHECK(parse_error({"--config", file.path()}) == file.path() + ":1:11: ws_addr: expected a string, got an integer");
  }
  {
    TomlFile file("\n  ping_interval = 0\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() + ":2:19: ping_interval: must be between 1 and 2147483647 seconds, got 0");
  }
  {
    TomlFile file("max_frame_bytes = 512\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() + ":1:19: max_frame_bytes: must be between 1024 and 67108864, got 512");
  }
  {
    TomlFile file("ws_addr = \":9310\"\n");
    CHECK_THAT(parse_error({"--config", file.path()}), Catch::StartsWith(file.path() + ":1:11: ws_addr: missing host"));
  }
}

TEST_CASE("a TOML file that cannot be read is an error", "[config][toml]") {
  CHECK(parse_error({"--config", "/nonexistent/evbroker.toml"}) ==
        "--config: cannot open '/nonexistent/evbroker.toml': No such file or directory");
  auto dir = std::filesystem::temp_directory_path().string();
  CHECK(parse_error({"--config", dir}) == "--config: '" + dir + "' is a directory");
  CHECK(parse_error({"--config", ""}) == "--config: expected a file name, got ''");
}

TEST_CASE("checks across settings apply to the merged result", "[config][toml]") {
  // The file binds the API everywhere, the token comes from the flag: accepted.
  TomlFile file("api_addr = \"0.0.0.0:9410\"\n");
  CHECK_THAT(parse_error({"--config", file.path()}),
             Catch::StartsWith("api_addr 0.0.0.0:9410 is not a loopback address"));
  CHECK(parse_ok({"--config", file.path(), "--api-token", "t"}).api_addr.to_string() == "0.0.0.0:9410");
}

// ---- the local PKI, TLS offload, lists ------------------------------------------------------------

TEST_CASE("pki_dir defaults to <data_dir>/pki", "[config][pki]") {
  CHECK(pki_directory(parse_ok({"--data-dir", "/var/lib/evbroker"})) == "/var/lib/evbroker/pki");
  CHECK(pki_directory(parse_ok({"--data-dir", "/var/lib/evbroker", "--pki-dir", "/etc/pki"})) == "/etc/pki");
}

TEST_CASE("a list is comma-separated on the command line and an array in TOML", "[config][lists]") {
  CHECK(parse_ok({"--server-names", "a.example"}).server_names == std::vector<std::string>{"a.example"});
  CHECK(parse_error({"--boot-provisioning-groups", "depot,no spaces"}).find("not a group name") != std::string::npos);
  CHECK(parse_ok({"--server-names", " a.example ,::1,10.1.2.3 "}).server_names ==
        std::vector<std::string>{"a.example", "::1", "10.1.2.3"});
  TomlFile file("server_names = [\"b.example\"]\ncontract_roots = [\"r1.pem\", \"r2.pem\"]\n");
  auto c = parse_ok({"--config", file.path()});
  CHECK(c.server_names == std::vector<std::string>{"b.example"});
  CHECK(c.contract_roots == std::vector<std::string>{"r1.pem", "r2.pem"});
  // An empty flag empties the file's list; a flag replaces it, it does not add to it.
  CHECK(parse_ok({"--config", file.path(), "--contract-roots", ""}).contract_roots.empty());
  CHECK(parse_ok({"--config", file.path(), "--server-names", "c.example"}).server_names ==
        std::vector<std::string>{"c.example"});
}

TEST_CASE("a list with an empty entry or of the wrong TOML type is an error", "[config][lists]") {
  CHECK(parse_error({"--contract-roots", "a.pem,,b.pem"}) ==
        "--contract-roots: empty entry in the list 'a.pem,,b.pem'");
  CHECK(parse_error({"--server-names", "a.example,"}) == "--server-names: empty entry in the list 'a.example,'");
  {
    TomlFile file("server_names = \"a.example\"\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() + ":1:16: server_names: expected an array of strings (e.g. [\"a\", \"b\"]), got a string");
  }
  {
    TomlFile file("contract_roots = [\"a.pem\", 3]\n");
    CHECK(parse_error({"--config", file.path()}) ==
          file.path() + ":1:18: contract_roots: expected an array of strings, found an integer in it");
  }
  {
    TomlFile file("contract_roots = [\"\"]\n");
    CHECK(parse_error({"--config", file.path()}) == file.path() + ":1:18: contract_roots: empty string in the array");
  }
}

TEST_CASE("server_names are DNS names or IP addresses", "[config][pki]") {
  CHECK(parse_ok({"--server-names", "csms.example.com,192.0.2.1,2001:db8::1"}).server_names.size() == 3);
  CHECK(parse_error({"--server-names", "csms.example.com,not a name"}) ==
        "--server-names: 'not a name' is neither a DNS name nor an IP address");
  CHECK(parse_error({"--server-names", "https://csms.example.com"}) ==
        "--server-names: 'https://csms.example.com' is neither a DNS name nor an IP address");
}

TEST_CASE("trust_proxy is a switch, off by default", "[config][proxy]") {
  CHECK_FALSE(parse_ok({}).trust_proxy);
  CHECK(parse_ok({"--trust-proxy"}).trust_proxy);
  CHECK_FALSE(parse_ok({"--trust-proxy", "--no-trust-proxy"}).trust_proxy);
  TomlFile file("trust_proxy = true\n");
  CHECK(parse_ok({"--config", file.path()}).trust_proxy);
  CHECK_FALSE(parse_ok({"--config", file.path(), "--no-trust-proxy"}).trust_proxy);
}

// ---- the Plug & Charge back end ------------------------------------------------------------------

TEST_CASE("back-end URLs must be http or https", "[config][backend]") {
  CHECK(parse_error({"--hubject-url", "hubject.example"}) ==
        "--hubject-url: expected an http:// or https:// URL, got 'hubject.example'");
  CHECK(parse_error({"--hubject-url", "https://"}) == "--hubject-url: missing host in 'https://'");
  CHECK(parse_ok({"--hubject-url", "http://127.0.0.1:8080"}).hubject_url == "http://127.0.0.1:8080");
  CHECK(parse_error({"--hubject-url", "https://h", "--hubject-oauth-url", "ftp://x", "--hubject-client-id", "c",
                     "--hubject-client-secret", "s"}) ==
        "--hubject-oauth-url: expected an http:// or https:// URL, got 'ftp://x'");
}

TEST_CASE("back-end credentials need the back end's URL", "[config][backend]") {
  CHECK(parse_error({"--hubject-token", "t"}) ==
        "hubject_token is set but hubject_url is not: set the back end's URL (--hubject-url)");
  CHECK(parse_error({"--hubject-token-env", "TOKEN"}) ==
        "hubject_token_env is set but hubject_url is not: set the back end's URL (--hubject-url)");
  CHECK(parse_ok({"--hubject-url", "https://h", "--hubject-token", "t"}).hubject_token == "t");
}

TEST_CASE("OAuth2 client credentials need the token endpoint, the id and the secret", "[config][backend]") {
  const std::vector<std::string> base = {"--hubject-url", "https://h"};
  auto with = [&base](std::vector<std::string> more) {
    more.insert(more.begin(), base.begin(), base.end());
    return more;
  };
  CHECK(parse_error(with({"--hubject-client-id", "c", "--hubject-client-secret", "s"})) ==
        "hubject_client_id needs the OAuth2 token endpoint: set hubject_oauth_url (--hubject-oauth-url URL)");
  CHECK(parse_error(with({"--hubject-client-id", "c", "--hubject-oauth-url", "https://a/token"})) ==
        "hubject_client_id needs a client secret: set hubject_client_secret (--hubject-client-secret, the "
        "environment variable EVBROKER_HUBJECT_CLIENT_SECRET or hubject_client_secret in the config file)");
  CHECK(parse_error(with({"--hubject-oauth-url", "https://a/token"})) ==
        "hubject_oauth_url is set but hubject_client_id is not: set the OAuth2 client id (--hubject-client-id)");
  auto c = parse_ok(
      with({"--hubject-client-id", "c", "--hubject-oauth-url", "https://a/token", "--hubject-client-secret", "s"}));
  CHECK(c.hubject_client_secret == "s");
}

TEST_CASE("the client secret comes from EVBROKER_HUBJECT_CLIENT_SECRET unless the flag is given", "[config][env]") {
  const std::vector<std::string> oauth = {"--hubject-url",       "https://h",      "--hubject-client-id", "c",
                                          "--hubject-oauth-url", "https://a/token"};
  CHECK(parse_ok(oauth, std::nullopt, "from-env").hubject_client_secret == "from-env");
  auto with_flag = oauth;
  with_flag.insert(with_flag.end(), {"--hubject-client-secret", "from-flag"});
  CHECK(parse_ok(with_flag, std::nullopt, "from-env").hubject_client_secret == "from-flag");
  TomlFile file("hubject_client_secret = \"from-file\"\n");
  auto with_file = oauth;
  with_file.insert(with_file.end(), {"--config", file.path()});
  CHECK(parse_ok(with_file).hubject_client_secret == "from-file");
  CHECK(parse_ok(with_file, std::nullopt, "from-env").hubject_client_secret == "from-env");
}

TEST_CASE("back-end timing and token settings are range-checked", "[config][backend]") {
  CHECK(parse_error({"--backend-timeout", "0"}) ==
        "--backend-timeout: must be between 1 and 600000 milliseconds, got 0");
  CHECK(parse_error({"--backend-timeout", "10s"}) ==
        "--backend-timeout: expected a whole number of milliseconds, got '10s'");
  CHECK(parse_error({"--backend-retries", "11"}) == "--backend-retries: must be between 0 and 10, got 11");
  CHECK(parse_error({"--backend-retries", "-1"}) == "--backend-retries: must be between 0 and 10, got -1");
  CHECK(parse_error({"--root-cache-ttl", "0"}) == "--root-cache-ttl: must be between 1 and 2147483647 seconds, got 0");
  CHECK(parse_error({"--hubject-token-env", "MY-TOKEN"}) ==
        "--hubject-token-env: expected an environment variable name (letters, digits, '_'), got 'MY-TOKEN'");
  CHECK(parse_error({"--hubject-token-env", "1TOKEN"}) ==
        "--hubject-token-env: expected an environment variable name (letters, digits, '_'), got '1TOKEN'");
  CHECK(parse_error({"--hubject-token", "two words"}) ==
        "--hubject-token: must be visible ASCII characters only (no spaces or control characters)");
}

// ---- clustering --------------------------------------------------------------------------------

TEST_CASE("role is all, gateway or manager", "[config][cluster]") {
  CHECK(parse_ok({"--role", "gateway"}).role == Role::gateway);
  CHECK(parse_error({"--role", "worker"}) == "--role: expected all, gateway or manager, got 'worker'");
}

TEST_CASE("MQTT URLs need a known scheme and a host", "[config][cluster]") {
  CHECK(parse_error({"--mqtt-url", "http://b:1883"}) ==
        "--mqtt-url: expected mqtt://host:port or mqtts://host:port, got 'http://b:1883'");
  CHECK(parse_error({"--mqtt-url", "mqtt://"}) == "--mqtt-url: missing host in 'mqtt://'");
  CHECK(parse_ok({"--mqtt-url", "tcp://b:1883"}).mqtt_urls == std::vector<std::string>{"tcp://b:1883"});
}

TEST_CASE("topic prefix, group and node id cannot break the topics built from them", "[config][cluster]") {
  CHECK(parse_error({"--mqtt-prefix", "cs/#"}) == "--mqtt-prefix: must not contain MQTT wildcards + or #");
  CHECK(parse_error({"--mqtt-prefix", "/cs"}) ==
        "--mqtt-prefix: must not have empty topic levels (leading, trailing or double /)");
  CHECK(parse_error({"--mqtt-prefix", "$SYS"}) == "--mqtt-prefix: must not start with $ (reserved by MQTT)");
  CHECK(parse_error({"--mqtt-group", "a/b"}) == "--mqtt-group: must not contain /");
  CHECK(parse_error({"--node-id", "gw+1"}) ==
        "--node-id: must be at most 64 letters, digits, '-', '_' or '.', got 'gw+1'");
  CHECK(parse_error({"--node-id", "gw\"1"}) ==
        "--node-id: must be at most 64 letters, digits, '-', '_' or '.', got 'gw\"1'");
  CHECK(parse_error({"--role", "manager", "--mqtt-prefix", ""}) == "--mqtt-prefix: must not be empty");
  CHECK(parse_error({"--role", "gateway", "--mqtt-client-cert", "c.pem"}) ==
        "--mqtt-client-cert and --mqtt-client-key go together");
}

TEST_CASE("a partition is K/N with K below N, for managers only", "[config][cluster]") {
  auto c = parse_ok({"--role", "manager", "--partition", "2/4"});
  CHECK(c.partition_index == 2);
  CHECK(c.partition_count == 4);
  CHECK(parse_error({"--role", "manager", "--partition", "4/4"}) == "--partition: K must be below N, got '4/4'");
  CHECK(parse_error({"--role", "manager", "--partition", "2"}) == "--partition: expected K/N (e.g. 0/4), got '2'");
  CHECK(parse_error({"--role", "manager", "--partition", "0/0"}) == "--partition: N must be between 1 and 4096, got 0");
  CHECK(parse_error({"--role", "gateway", "--partition", "0/2"}) ==
        "--partition is for role manager (gateways reach every partition)");
  CHECK(parse_error({"--partition", "0/2"}) == "--partition is for role manager");
}

TEST_CASE("the node id defaults to the host name and the role", "[config][cluster]") {
  auto gateway = parse_ok({"--role", "gateway", "--ws-addr", "0.0.0.0:19310"});
  CHECK(node_identity(gateway).ends_with("-gw-19310"));
  auto manager = parse_ok({"--role", "manager"});
  CHECK(node_identity(manager).ends_with("-manager"));
  CHECK(node_identity(parse_ok({"--role", "manager", "--node-id", "m7"})) == "m7");
}

// ---- what `evbroker ca` needs ------------------------------------------------------------------

TEST_CASE("settings_only checks each value but not their combination", "[config][ca]") {
  auto parsed = parse({"--api-addr", "0.0.0.0:9410", "--tls-cert", "c.pem"}, std::nullopt, std::nullopt,
                      ParseChecks::settings_only);
  REQUIRE(parsed.outcome.kind == Kind::run);
  CHECK(parsed.config.tls_certs == std::vector<std::string>{"c.pem"});
  CHECK(parse({"--heartbeat-interval", "0"}, std::nullopt, std::nullopt, ParseChecks::settings_only).outcome.kind ==
        Kind::exit_error);
}

TEST_CASE("flag_takes_value tells switches from options with a value", "[config][ca]") {
  for (const char* flag : {"--config", "-c", "--data-dir", "--pki-dir", "--server-names", "--wss-addr"}) {
    CAPTURE(flag);
    CHECK(flag_takes_value(flag));
  }
  for (const char* flag :
       {"--sync", "--no-sync", "--trust-proxy", "--no-trust-proxy", "--help", "--version", "--bogus"}) {
    CAPTURE(flag);
    CHECK_FALSE(flag_takes_value(flag));
  }
}

// ---- help and version ----------------------------------------------------------------------------

TEST_CASE("the help text lists every option with its default", "[config][help]") {
  auto parsed = parse({"--help"});
  REQUIRE(parsed.outcome.kind == Kind::exit_ok);
  CHECK(parsed.outcome.exit_code == 0);
  const std::string& help = parsed.outcome.message;
  INFO(help);

  // The option's entry: its line in the options list ("  --flag TYPE=default  description", names
  // separated by commas) and the lines that continue it (indented further).
  auto line_of = [&help](const std::string& flag) -> std::string {
    std::istringstream in(help);
    std::string line;
    std::string entry;
    while (std::getline(in, line)) {
      if (!entry.empty()) {
        if (!line.starts_with("   ")) break;
        entry += "\n" + line;
        continue;
      }
      if (!line.starts_with("  -")) continue;
      std::istringstream names(line.substr(2, line.find(' ', 2) - 2));
      std::string name;
      while (std::getline(names, name, ',')) {
        if (name == flag || name.starts_with(flag + "{")) entry = line;
      }
    }
    return entry;
  };
  const std::map<std::string, std::string> shown_defaults = {
      {"--data-dir", "DIR=./data"},
      {"--ws-addr", "HOST:PORT=127.0.0.1:9310"},
      {"--wss-addr", "(\"\" turns it off)"},
      {"--tls-cert", "(default: none, the local PKI's)"},
      {"--tls-key", "(default: none)"},
      {"--tls-client-ca", "(default: none, the local PKI's CPO sub-CA)"},
      {"--api-addr", "HOST:PORT=127.0.0.1:9410"},
      {"--api-token", "(Env:EVBROKER_API_TOKEN)"},
      {"--heartbeat-interval", "SECONDS=300"},
      {"--call-timeout", "SECONDS=30"},
      {"--ping-interval", "SECONDS=60"},
      {"--max-frame-bytes", "BYTES=262144"},
      {"--max-queued-calls", "N=32"},
      {"--max-pending-handshakes", "N=1024"},
      {"--io-threads", "N=0"},
      {"--actor-threads", "N=0"},
      {"--sync", "(default: on)"},
      {"--log-level", "LEVEL=info"},
      {"--log-format", "FORMAT=text"},
      {"--pki-dir", "(default: <data-dir>/pki)"},
      {"--server-names", "(default:"},
      {"--trust-proxy", "(default: off"},
      {"--hubject-url", "(default: none"},
      {"--hubject-token", "(default: none"},
      {"--hubject-token-env", "(default: none)"},
      {"--hubject-oauth-url", "(default: none)"},
      {"--hubject-client-id", "(default: none)"},
      {"--hubject-client-secret", "(Env:EVBROKER_HUBJECT_CLIENT_SECRET)"},
      {"--contract-roots", "(default:"},
      {"--root-cache-ttl", "SECONDS=3600"},
      {"--backend-timeout", "MS=10000"},
      {"--backend-retries", "N=2"},
      {"--backend-ca", "(default: none"},
      {"--role", "ROLE=all"},
      {"--mqtt-url", "LIST=mqtt://127.0.0.1:1883"},
      {"--mqtt-prefix", "PREFIX=cs"},
      {"--mqtt-group", "NAME=manager"},
      {"--mqtt-username", "(default: anonymous)"},
      {"--mqtt-password", "(Env:EVBROKER_MQTT_PASSWORD)"},
      {"--mqtt-ca", "(default: the system's)"},
      {"--mqtt-client-cert", "(default: none)"},
      {"--mqtt-client-key", "FILE"},
      {"--node-id", "(default: <hostname>-gw-<ws port>"},
      {"--partition", "K/N=0/1"},
      {"--max-json-depth", "LEVELS=64"},
      {"--max-pending-settings", "N=1000"},
      {"--station-events-max", "N=10000"},
      {"--station-events-max-bytes", "BYTES=8388608"},
      {"--station-device-model-max", "N=20000"},
      {"--station-device-model-max-bytes", "BYTES=16777216"},
      {"--station-meter-values-max", "N=10000"},
      {"--station-meter-values-max-bytes", "BYTES=4194304"},
      {"--station-max-connectors", "N=128"},
      {"--event-retention", "SECONDS=7776000"},
      {"--login-failures-per-station", "N=5"},
      {"--login-failures-per-address", "N=50"},
      {"--login-lockout", "SECONDS=30"},
      {"--max-handshakes-per-address", "N=128"},
      {"--first-bytes-timeout", "SECONDS=3"},
      {"--handshake-timeout", "SECONDS=10"},
      {"--max-station-connections", "N=0"},
      {"--api-max-connections", "N=128"},
      {"--api-idle-timeout", "SECONDS=30"},
      {"--boot-retry-interval", "SECONDS=60"},
      {"--registration-status", "STATUS=Accepted"},
      {"--boot-provisioning-groups", "LIST"},
      {"--files-addr", "HOST:PORT=127.0.0.1:9412"},
      {"--files-url", "(default: http://<files-addr>)"},
      {"--max-firmware-bytes", "BYTES=268435456"},
      {"--max-upload-bytes", "BYTES=67108864"},
      {"--station-uploads-max-bytes", "BYTES=268435456"},
  };
  for (const auto& e : kNonDefaults) {
    auto flag = flag_of(e.key);
    CAPTURE(flag);
    REQUIRE(shown_defaults.count(flag) == 1);
    auto line = line_of(flag);
    CHECK_THAT(line, Catch::Contains(shown_defaults.at(flag)));
  }
  CHECK(shown_defaults.size() == kNonDefaults.size());
  CHECK_THAT(line_of("--api-token"), Catch::Contains("(default: none"));
  CHECK_THAT(line_of("--sync"), Catch::Contains("--no-sync"));
  CHECK_THAT(line_of("--trust-proxy"), Catch::Contains("--no-trust-proxy"));
  CHECK_THAT(line_of("--wss-addr"), Catch::Contains("HOST:PORT=127.0.0.1:9311"));
  for (const char* other : {"--config", "--help", "--version"}) {
    CAPTURE(other);
    CHECK_FALSE(line_of(other).empty());
  }
  CHECK_THAT(help, Catch::Contains("EVBROKER_API_TOKEN"));
}

TEST_CASE("asking for help wins over other arguments, which are not validated", "[config][help]") {
  auto parsed = parse({"--api-addr", "0.0.0.0:9410", "--help"});
  CHECK(parsed.outcome.kind == Kind::exit_ok);
  CHECK_THAT(parsed.outcome.message, Catch::Contains("Usage:"));
  CHECK(parse({"-h"}).outcome.kind == Kind::exit_ok);
}

TEST_CASE("the version flag prints the name and version", "[config][help]") {
  auto parsed = parse({"--version"});
  CHECK(parsed.outcome.kind == Kind::exit_ok);
  CHECK(parsed.outcome.exit_code == 0);
  CHECK(parsed.outcome.message == "evbroker " EVBROKER_VERSION "\n");  // 0.1.0: the project version
  CHECK_THAT(parsed.outcome.message, Catch::Matches(R"(evbroker \d+\.\d+\.\d+\n)"));
}

// ---- the example file ----------------------------------------------------------------------------

TEST_CASE("the example file documents every key with its default", "[config][example]") {
  const std::string example = std::string(EVBROKER_SOURCE_DIR) + "/apps/evbroker/evbroker.example.toml";
  std::ifstream in(example);
  REQUIRE(in);
  // As shipped (all commented) it gives the defaults.
  CHECK(describe(parse_ok({"--config", example})) == described_defaults());

  // Uncommenting every "# key = value" line still gives the defaults, and names every key once.
  const std::regex setting_line(R"(^# ([a-z_]+) = (.*)$)");
  std::string uncommented;
  std::multiset<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, setting_line)) {
      keys.insert(m[1]);
      uncommented += line.substr(2) + "\n";
    }
  }
  std::multiset<std::string> expected{"api_token_file"};  // sets api_token: tested on its own below
  for (const auto& e : kNonDefaults) expected.insert(e.key);
  CHECK(keys == expected);
  TomlFile file(uncommented);
  CHECK(describe(parse_ok({"--config", file.path()})) == described_defaults());
}

// ---- endpoints -----------------------------------------------------------------------------------

TEST_CASE("endpoints parse as host:port and [ipv6]:port", "[endpoint]") {
  struct Case {
    std::string text, host;
    std::uint16_t port;
    std::string printed;
  };
  for (const auto& c : std::vector<Case>{
           {"127.0.0.1:9310", "127.0.0.1", 9310, "127.0.0.1:9310"},
           {"0.0.0.0:1", "0.0.0.0", 1, "0.0.0.0:1"},
           {"localhost:65535", "localhost", 65535, "localhost:65535"},
           {"csms-1.example.com:443", "csms-1.example.com", 443, "csms-1.example.com:443"},
           {"[::1]:9310", "::1", 9310, "[::1]:9310"},
           {"[::]:9311", "::", 9311, "[::]:9311"},
           {"[2001:db8::42]:80", "2001:db8::42", 80, "[2001:db8::42]:80"},
           {"[::ffff:127.0.0.1]:9410", "::ffff:127.0.0.1", 9410, "[::ffff:127.0.0.1]:9410"},
           {"10.0.0.1:08080", "10.0.0.1", 8080, "10.0.0.1:8080"},
       }) {
    CAPTURE(c.text);
    Endpoint e;
    std::string error;
    REQUIRE(parse_endpoint(c.text, e, error));
    CHECK(error.empty());
    CHECK(e.host == c.host);
    CHECK(e.port == c.port);
    CHECK(e.to_string() == c.printed);
  }
}

TEST_CASE("malformed endpoints are refused with a reason", "[endpoint]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected host:port, got ''"},
      {"9310", "expected host:port, got '9310'"},
      {"localhost", "expected host:port, got 'localhost'"},
      {":9310",
       "missing host in ':9310' (write 0.0.0.0:9310 to listen on every interface, 127.0.0.1:9310 for "
       "this machine only)"},
      {"127.0.0.1:", "expected a port number after the last ':', got '127.0.0.1:'"},
      {"127.0.0.1:+80", "expected a port number after the last ':', got '127.0.0.1:+80'"},
      {"127.0.0.1:-1", "expected a port number after the last ':', got '127.0.0.1:-1'"},
      {"127.0.0.1:80x", "expected a port number after the last ':', got '127.0.0.1:80x'"},
      {"127.0.0.1:0", "port 0 out of range 1-65535"},
      {"127.0.0.1:70000", "port 70000 out of range 1-65535"},
      {"::1:9310", "an IPv6 address needs brackets, as in [::1]:9310, got '::1:9310'"},
      {"[::1:9310", "missing ']' in '[::1:9310' (expected [ipv6]:port)"},
      {"[::1]9310", "expected [ipv6]:port, got '[::1]9310'"},
      {"[::1]", "expected [ipv6]:port, got '[::1]'"},
      {"[::1]:", "expected a port number after the last ':', got '[::1]:'"},
      {"[127.0.0.1]:80", "'127.0.0.1' is not an IPv6 address"},
      {"[not-v6]:80", "'not-v6' is not an IPv6 address"},
      {"256.0.0.1:80", "'256.0.0.1' is not an IPv4 address"},
      {"1.2.3:80", "'1.2.3' is not an IPv4 address"},
      {"my host:80", "'my host' is not a valid host name"},
      {"-bad.example:80", "'-bad.example' is not a valid host name"},
      {"a..b:80", "'a..b' is not a valid host name"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    Endpoint e{"unchanged", 7};
    std::string error;
    CHECK_FALSE(parse_endpoint(text, e, error));
    CHECK(error == message);
    CHECK(e.host == "unchanged");
    CHECK(e.port == 7);
  }
}

TEST_CASE("loopback means 127.0.0.0/8, ::1 and localhost", "[endpoint]") {
  for (const char* host :
       {"127.0.0.1", "127.255.255.254", "127.0.0.2", "::1", "::ffff:127.0.0.1", "localhost", "LocalHost"}) {
    CAPTURE(host);
    CHECK(is_loopback(Endpoint{host, 80}));
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "126.255.255.255", "::2", "2001:db8::1",
                           "localhost.example.com", "example.com", "::ffff:10.0.0.1"}) {
    CAPTURE(host);
    CHECK_FALSE(is_loopback(Endpoint{host, 80}));
  }
}
