// The node's configuration: one table describes every setting (its TOML key, its flag, its type, its
// default and how a value is checked), and both sources, the TOML file and the command line, go
// through it. Precedence: the defaults in NodeConfig < the --config file < EVBROKER_API_TOKEN (for the
// token only) < command-line flags.
//
// parse_config never prints and never exits: help and version text come back in ParseOutcome::message
// (ending in a newline, to be printed as is on stdout), errors come back without a trailing newline.
// `out` is assigned only when the outcome is Kind::run.

#include "apps/evbroker/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#ifndef EVBROKER_VERSION
#define EVBROKER_VERSION "0.1.0"
#endif

namespace evbroker::app {

namespace {

constexpr std::string_view kApiTokenEnv = "EVBROKER_API_TOKEN";

// Limits beyond the obvious ones, chosen so that a typo cannot take the node down.
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int32_t>::max();  // OCPP "integer"
constexpr std::int64_t kMinFrameBytes = 1024;
constexpr std::int64_t kMaxFrameBytes = 64 * 1024 * 1024;
constexpr std::int64_t kMaxThreads = 1024;

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

/// A setting's value as read from either source, before it is checked.
using Value = std::variant<std::string, std::int64_t, bool>;

/// What a setting holds; decides the TOML type and how a command-line string is read.
enum class Kind { string, integer, boolean };

/// Checks `value` (of the setting's kind) and stores it; returns what is wrong otherwise. The message
/// does not name the setting: the caller prefixes the flag or the file position and key.
using ApplyFn = std::optional<std::string> (*)(NodeConfig&, const Value&);
/// The setting's value in `config`, as it would be written on the command line.
using ShowFn = std::string (*)(const NodeConfig&);

struct Setting {
  std::string_view key;        // TOML key; the flag is "--" + key with '_' -> '-'
  Kind kind;
  std::string_view type_name;  // shown in --help
  std::string_view unit;       // for "expected a whole number of <unit>"
  std::string_view help;
  ApplyFn apply;
  ShowFn show;
};

// ---- checks shared by several settings ----------------------------------------------------------

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::optional<std::string> set_seconds(std::chrono::seconds& field, const Value& value) {
  auto n = std::get<std::int64_t>(value);
  if (n < 1 || n > kMaxSeconds) {
    return "must be between 1 and " + std::to_string(kMaxSeconds) + " seconds, got " + std::to_string(n);
  }
  field = std::chrono::seconds{n};
  return std::nullopt;
}

std::optional<std::string> set_count(std::size_t& field, const Value& value, std::int64_t min, std::int64_t max) {
  auto n = std::get<std::int64_t>(value);
  if (n < min || n > max) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(n);
  }
  field = static_cast<std::size_t>(n);
  return std::nullopt;
}

std::optional<std::string> set_threads(unsigned& field, const Value& value) {
  auto n = std::get<std::int64_t>(value);
  if (n < 0 || n > kMaxThreads) {
    return "must be between 0 (one per core) and " + std::to_string(kMaxThreads) + ", got " + std::to_string(n);
  }
  field = static_cast<unsigned>(n);
  return std::nullopt;
}

std::optional<std::string> set_endpoint(Endpoint& field, const Value& value) {
  Endpoint parsed;
  std::string error;
  if (!parse_endpoint(std::get<std::string>(value), parsed, error)) return error;
  field = std::move(parsed);
  return std::nullopt;
}

// ---- the settings -------------------------------------------------------------------------------

const std::array<Setting, 19> kSettings = {{
    {"data_dir", Kind::string, "DIR", "",
     "Directory of the node's durable state (the LMDB environment); created if missing",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       if (std::get<std::string>(v).empty()) return "must not be empty";
       c.data_dir = std::get<std::string>(v);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.data_dir; }},
    {"ws_addr", Kind::string, "HOST:PORT", "",
     "Plain websocket listener for charge stations (ws://, no TLS)",
     [](NodeConfig& c, const Value& v) { return set_endpoint(c.ws_addr, v); },
     [](const NodeConfig& c) { return c.ws_addr.to_string(); }},
    {"wss_addr", Kind::string, "HOST:PORT", "",
     "TLS websocket listener for charge stations (wss://, Basic auth or client certificates); needs "
     "--tls-cert and --tls-key (default: off; \"\" turns it off)",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       if (std::get<std::string>(v).empty()) {
         c.wss_addr.reset();
         return std::nullopt;
       }
       Endpoint endpoint;
       if (auto error = set_endpoint(endpoint, v)) return error;
       c.wss_addr = std::move(endpoint);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.wss_addr ? c.wss_addr->to_string() : std::string(); }},
    {"tls_cert", Kind::string, "FILE", "", "PEM server certificate chain for wss (default: none)",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       c.tls_cert = std::get<std::string>(v);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.tls_cert; }},
    {"tls_key", Kind::string, "FILE", "", "PEM private key of the wss certificate (default: none)",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       c.tls_key = std::get<std::string>(v);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.tls_key; }},
    {"tls_client_ca", Kind::string, "FILE", "",
     "PEM CA certificate(s) that station client certificates must chain to (default: none)",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       c.tls_client_ca = std::get<std::string>(v);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.tls_client_ca; }},
    {"api_addr", Kind::string, "HOST:PORT", "",
     "Management API (HTTP) listener; an address other than loopback needs --api-token",
     [](NodeConfig& c, const Value& v) { return set_endpoint(c.api_addr, v); },
     [](const NodeConfig& c) { return c.api_addr.to_string(); }},
    {"api_token", Kind::string, "TOKEN", "",
     "Bearer token every API request but GET /health must carry (default: none, allowed only with a "
     "loopback --api-addr); taken from the environment variable EVBROKER_API_TOKEN when the flag is "
     "not given",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       const auto& token = std::get<std::string>(v);
       // The token travels in an HTTP header: anything but visible ASCII could never match.
       if (!std::all_of(token.begin(), token.end(), [](char ch) { return ch > ' ' && ch < '\x7f'; })) {
         return std::string("must be visible ASCII characters only (no spaces or control characters)");
       }
       c.api_token = token;
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.api_token; }},
    {"heartbeat_interval", Kind::integer, "SECONDS", "seconds",
     "Heartbeat interval given to stations in BootNotification responses",
     [](NodeConfig& c, const Value& v) { return set_seconds(c.heartbeat_interval, v); },
     [](const NodeConfig& c) { return std::to_string(c.heartbeat_interval.count()); }},
    {"call_timeout", Kind::integer, "SECONDS", "seconds",
     "How long a CSMS call waits for the station's answer (then the API answers 504)",
     [](NodeConfig& c, const Value& v) { return set_seconds(c.call_timeout, v); },
     [](const NodeConfig& c) { return std::to_string(c.call_timeout.count()); }},
    {"ping_interval", Kind::integer, "SECONDS", "seconds",
     "Websocket ping after this long without traffic from a station",
     [](NodeConfig& c, const Value& v) { return set_seconds(c.ping_interval, v); },
     [](const NodeConfig& c) { return std::to_string(c.ping_interval.count()); }},
    {"max_frame_bytes", Kind::integer, "BYTES", "bytes",
     "Largest websocket message a station may send (1024 to 67108864)",
     [](NodeConfig& c, const Value& v) { return set_count(c.max_frame_bytes, v, kMinFrameBytes, kMaxFrameBytes); },
     [](const NodeConfig& c) { return std::to_string(c.max_frame_bytes); }},
    {"max_queued_calls", Kind::integer, "N", "calls",
     "CSMS calls that may wait per station, one being in flight (the API answers 503 beyond)",
     [](NodeConfig& c, const Value& v) {
       return set_count(c.max_queued_calls, v, 1, std::numeric_limits<std::int32_t>::max());
     },
     [](const NodeConfig& c) { return std::to_string(c.max_queued_calls); }},
    {"max_pending_handshakes", Kind::integer, "N", "handshakes",
     "Connection handshakes (TCP, TLS, websocket upgrade) in progress at once: admission control "
     "for reconnect storms",
     [](NodeConfig& c, const Value& v) {
       return set_count(c.max_pending_handshakes, v, 1, std::numeric_limits<std::int32_t>::max());
     },
     [](const NodeConfig& c) { return std::to_string(c.max_pending_handshakes); }},
    {"io_threads", Kind::integer, "N", "threads", "Network I/O threads (0: one per core)",
     [](NodeConfig& c, const Value& v) { return set_threads(c.io_threads, v); },
     [](const NodeConfig& c) { return std::to_string(c.io_threads); }},
    {"actor_threads", Kind::integer, "N", "threads", "Actor scheduler threads (0: one per core)",
     [](NodeConfig& c, const Value& v) { return set_threads(c.actor_threads, v); },
     [](const NodeConfig& c) { return std::to_string(c.actor_threads); }},
    {"sync", Kind::boolean, "", "",
     "fsync every commit (default: on). --no-sync is for tests and benchmarks only: acknowledged data "
     "can be lost when the machine fails",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       c.sync = std::get<bool>(v);
       return std::nullopt;
     },
     [](const NodeConfig& c) { return std::string(c.sync ? "true" : "false"); }},
    {"log_level", Kind::string, "LEVEL", "", "Log level: trace, debug, info, warn, error or off",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       const auto& level = std::get<std::string>(v);
       if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
         return "expected one of trace, debug, info, warn, error, off, got " + in_quotes(level);
       }
       c.log_level = level;
       return std::nullopt;
     },
     [](const NodeConfig& c) { return c.log_level; }},
    {"log_format", Kind::string, "FORMAT", "", "Log format: text or json (one JSON object a line)",
     [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
       const auto& format = std::get<std::string>(v);
       if (format == "text") {
         c.log_format = LogFormat::text;
       } else if (format == "json") {
         c.log_format = LogFormat::json;
       } else {
         return "expected text or json, got " + in_quotes(format);
       }
       return std::nullopt;
     },
     [](const NodeConfig& c) { return std::string(c.log_format == LogFormat::json ? "json" : "text"); }},
}};

std::string flag_of(const Setting& setting) {
  std::string flag = "--" + std::string(setting.key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

const Setting* find_setting(std::string_view key) {
  auto it = std::find_if(kSettings.begin(), kSettings.end(), [key](const Setting& s) { return s.key == key; });
  return it == kSettings.end() ? nullptr : &*it;
}

/// Reads a command-line (or environment) string as a value of the setting's kind.
std::optional<std::string> value_from_text(const Setting& setting, const std::string& text, Value& value) {
  if (setting.kind != Kind::integer) {
    value = text;
    return std::nullopt;
  }
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return "expected a whole number of " + std::string(setting.unit) + ", got " + in_quotes(text);
  }
  if (ec == std::errc::result_out_of_range) return "value " + text + " out of range";
  value = n;
  return std::nullopt;
}

std::string_view toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "an unknown type";
}

/// Reads a TOML node as a value of the setting's kind.
std::optional<std::string> value_from_toml(const Setting& setting, const toml::node& node, Value& value) {
  switch (setting.kind) {
    case Kind::string:
      if (const auto* s = node.as_string()) {
        value = s->get();
        return std::nullopt;
      }
      return "expected a string, got " + std::string(toml_type_name(node.type()));
    case Kind::integer:
      if (const auto* i = node.as_integer()) {
        value = i->get();
        return std::nullopt;
      }
      return "expected an integer (" + std::string(setting.unit) + "), got " +
             std::string(toml_type_name(node.type()));
    case Kind::boolean:
      if (const auto* b = node.as_boolean()) {
        value = b->get();
        return std::nullopt;
      }
      return "expected true or false, got " + std::string(toml_type_name(node.type()));
  }
  return "unsupported setting kind";
}

std::string position(const std::string& path, const toml::source_position& pos) {
  return path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

/// Applies the TOML file at `path` to `config`; returns the first problem found.
std::optional<std::string> apply_toml_file(const std::string& path, NodeConfig& config) {
  std::error_code fs_error;
  if (std::filesystem::is_directory(path, fs_error)) return "--config: " + in_quotes(path) + " is a directory";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "--config: cannot open " + in_quotes(path) + ": " + std::generic_category().message(errno);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return "--config: cannot read " + in_quotes(path);

  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    return position(path, error.source().begin) + ": " + std::string(error.description());
  }

  // The table iterates in key order; report the problem that comes first in the file.
  std::optional<std::pair<toml::source_position, std::string>> first_problem;
  auto report = [&](const toml::source_position& where, std::string message) {
    if (!first_problem || where.line < first_problem->first.line ||
        (where.line == first_problem->first.line && where.column < first_problem->first.column)) {
      first_problem.emplace(where, position(path, where) + ": " + std::move(message));
    }
  };
  for (auto&& [key, node] : table) {
    const Setting* setting = find_setting(key.str());
    if (setting == nullptr) {
      std::string message = "unknown key " + in_quotes(key.str());
      std::string underscored(key.str());
      std::replace(underscored.begin(), underscored.end(), '-', '_');
      if (find_setting(underscored) != nullptr) {
        message += " (did you mean " + in_quotes(underscored) + "?)";
      } else if (node.is_table()) {
        message += " (settings are top-level keys: the file has no tables)";
      }
      report(key.source().begin, std::move(message));
      continue;
    }
    Value value;
    auto error = value_from_toml(*setting, node, value);
    if (!error) error = setting->apply(config, value);
    if (error) report(node.source().begin, std::string(setting->key) + ": " + *error);
  }
  if (first_problem) return std::move(first_problem->second);
  return std::nullopt;
}

bool is_wildcard(const Endpoint& endpoint) { return endpoint.host == "0.0.0.0" || endpoint.host == "::"; }

/// Two listeners that would compete for the same socket.
bool overlaps(const Endpoint& a, const Endpoint& b) {
  return a.port == b.port && (a.host == b.host || is_wildcard(a) || is_wildcard(b));
}

/// Checks that span several settings, once every source has been applied.
std::optional<std::string> check_combination(const NodeConfig& config) {
  if (config.wss_addr) {
    std::string wss = config.wss_addr->to_string();
    if (config.tls_cert.empty()) {
      return "wss_addr " + wss + " needs a server certificate: set tls_cert (--tls-cert FILE) and tls_key";
    }
    if (config.tls_key.empty()) {
      return "wss_addr " + wss + " needs the certificate's private key: set tls_key (--tls-key FILE)";
    }
  }
  if (!is_loopback(config.api_addr) && config.api_token.empty()) {
    return "api_addr " + config.api_addr.to_string() +
           " is not a loopback address, so the management API needs a token: set api_token (--api-token, "
           "the environment variable " + std::string(kApiTokenEnv) +
           " or api_token in the config file), or bind the API to 127.0.0.1";
  }
  struct Named {
    std::string_view name;
    const Endpoint* endpoint;
  };
  std::vector<Named> listeners = {{"ws_addr", &config.ws_addr}, {"api_addr", &config.api_addr}};
  if (config.wss_addr) listeners.push_back({"wss_addr", &*config.wss_addr});
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    for (std::size_t j = i + 1; j < listeners.size(); ++j) {
      if (overlaps(*listeners[i].endpoint, *listeners[j].endpoint)) {
        return std::string(listeners[i].name) + " " + listeners[i].endpoint->to_string() + " and " +
               std::string(listeners[j].name) + " " + listeners[j].endpoint->to_string() +
               " would listen on the same port";
      }
    }
  }
  return std::nullopt;
}

ParseOutcome error_outcome(std::string message) {
  return ParseOutcome{ParseOutcome::Kind::exit_error, 2, std::move(message)};
}

bool is_valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? host.size() - start : dot - start);
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
              std::all_of(label.begin(), label.end(), [](char ch) {
                return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
              });
    if (!ok) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool parse_endpoint(std::string_view text, Endpoint& out, std::string& error) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' in " + in_quotes(text) + " (expected [ipv6]:port)";
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [ipv6]:port, got " + in_quotes(text);
      return false;
    }
    port_text = text.substr(close + 2);
    in6_addr address{};
    if (inet_pton(AF_INET6, host.c_str(), &address) != 1) {
      error = in_quotes(host) + " is not an IPv6 address";
      return false;
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected host:port, got " + in_quotes(text);
      return false;
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.empty()) {
      error = "missing host in " + in_quotes(text) + " (write 0.0.0.0" + std::string(text) +
              " to listen on every interface, 127.0.0.1" + std::string(text) + " for this machine only)";
      return false;
    }
    if (host.find(':') != std::string::npos) {
      error = "an IPv6 address needs brackets, as in [::1]:9310, got " + in_quotes(text);
      return false;
    }
    bool numeric = std::all_of(host.begin(), host.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '.'; });
    if (numeric) {
      in_addr address{};
      if (inet_pton(AF_INET, host.c_str(), &address) != 1) {
        error = in_quotes(host) + " is not an IPv4 address";
        return false;
      }
    } else if (!is_valid_hostname(host)) {
      error = in_quotes(host) + " is not a valid host name";
      return false;
    }
  }

  if (port_text.empty() || !std::all_of(port_text.begin(), port_text.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    error = "expected a port number after the last ':', got " + in_quotes(text);
    return false;
  }
  std::uint64_t port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || port < 1 || port > 65535) {
    error = "port " + std::string(port_text) + " out of range 1-65535";
    return false;
  }
  out.host = std::move(host);
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

bool is_loopback(const Endpoint& endpoint) {
  std::string host = endpoint.host;
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char ch) {
    return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  });
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    unsigned char bytes[4];
    std::memcpy(bytes, &v4, sizeof bytes);  // network order: the first byte is the /8
    return bytes[0] == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    unsigned char bytes[16];
    std::memcpy(bytes, &v6, sizeof bytes);
    bool zero_prefix = std::all_of(bytes, bytes + 10, [](unsigned char b) { return b == 0; });
    bool is_v6_loopback = zero_prefix && bytes[10] == 0 && bytes[11] == 0 && bytes[12] == 0 && bytes[13] == 0 &&
                          bytes[14] == 0 && bytes[15] == 1;
    bool is_v4_mapped_loopback = zero_prefix && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127;
    return is_v6_loopback || is_v4_mapped_loopback;
  }
  return false;
}

ParseOutcome parse_config(int argc, const char* const* argv, NodeConfig& out) {
  const NodeConfig defaults;  // default-initialised: "{}" trips a GCC 12 -Wmaybe-uninitialized false positive at -O3

  CLI::App app{"evbroker: an OCPP broker node (charge station management system core)", "evbroker"};
  app.allow_extras();  // unknown arguments are reported below, with a clearer message than CLI11's
  app.get_formatter()->column_width(44);
  app.set_version_flag("--version", "evbroker " EVBROKER_VERSION);
  app.footer(
      "Each setting is taken from the first of: its flag; for the token, EVBROKER_API_TOKEN; the TOML file "
      "given with --config (keys are the option names with '_' for '-', e.g. ws_addr = \"0.0.0.0:9310\", "
      "durations in seconds); the default shown.");

  std::string config_path;
  app.add_option("-c,--config", config_path, "TOML file with settings (see evbroker.example.toml)")
      ->type_name("FILE");

  // One slot per setting, filled by CLI11; only those given (count() > 0) are applied.
  std::array<std::string, kSettings.size()> texts;
  std::array<bool, kSettings.size()> switches{};
  std::array<CLI::Option*, kSettings.size()> options{};
  for (std::size_t i = 0; i < kSettings.size(); ++i) {
    const Setting& setting = kSettings[i];
    std::string flag = flag_of(setting);
    if (setting.kind == Kind::boolean) {
      options[i] = app.add_flag(flag + ",!--no-" + flag.substr(2), switches[i], std::string(setting.help))
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      continue;
    }
    options[i] = app.add_option(flag, texts[i], std::string(setting.help))
                     ->type_name(std::string(setting.type_name))
                     ->default_str(setting.show(defaults))
                     ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (setting.key == "api_token") options[i]->envname(std::string(kApiTokenEnv));
  }

  // CLI11 wants the arguments without the program name, last first.
  std::vector<std::string> given;
  for (int i = 1; i < argc; ++i) given.emplace_back(argv[i]);
  std::vector<std::string> args(given.rbegin(), given.rend());
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, app.help()};
  } catch (const CLI::CallForVersion& version) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, std::string(version.what()) + "\n"};
  } catch (const CLI::ParseError& error) {
    return error_outcome(std::string(error.what()) + " (see evbroker --help)");
  }
  if (auto extras = app.remaining(); !extras.empty()) {
    const std::string& first = extras.front();
    if (first.size() > 1 && first.front() == '-') {
      return error_outcome("unknown option " + in_quotes(first.substr(0, first.find('='))) + " (see evbroker --help)");
    }
    return error_outcome("unexpected argument " + in_quotes(first) + " (evbroker takes no positional arguments)");
  }

  NodeConfig config;
  if (!config_path.empty()) {
    if (auto error = apply_toml_file(config_path, config)) return error_outcome(*error);
  } else if (app.count("--config") > 0) {
    return error_outcome("--config: expected a file name, got ''");
  }

  for (std::size_t i = 0; i < kSettings.size(); ++i) {
    const Setting& setting = kSettings[i];
    if (options[i]->count() == 0) continue;
    Value value;
    std::optional<std::string> error;
    if (setting.kind == Kind::boolean) {
      value = switches[i];
    } else {
      error = value_from_text(setting, texts[i], value);
    }
    if (!error) error = setting.apply(config, value);
    if (error) {
      // A value from the environment did not come from a flag: say where it came from.
      bool from_env = setting.key == "api_token" && std::none_of(given.begin(), given.end(), [](const std::string& a) {
                        return a.starts_with("--api-token");
                      });
      return error_outcome((from_env ? std::string(kApiTokenEnv) : flag_of(setting)) + ": " + *error);
    }
  }

  if (auto error = check_combination(config)) return error_outcome(*error);
  out = std::move(config);
  return ParseOutcome{};
}

}  // namespace evbroker::app
