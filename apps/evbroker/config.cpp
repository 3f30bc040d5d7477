// The node's configuration: the table in config_settings.cpp describes every setting (its TOML key,
// its flag, its type, its default and how a value is checked), and both sources, the TOML file and
// the command line, go through it. Precedence: the defaults in NodeConfig < the --config file < the
// environment (for secrets only: EVBROKER_API_TOKEN, EVBROKER_HUBJECT_CLIENT_SECRET,
// EVBROKER_MQTT_PASSWORD) < command-line flags.
//
// parse_config never prints and never exits: help and version text come back in ParseOutcome::message
// (ending in a newline, to be printed as is on stdout), errors come back without a trailing newline.
// `out` is assigned only when the outcome is Kind::run.

#include "apps/evbroker/config.hpp"

#include <unistd.h>

#include <cstdio>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "apps/evbroker/config_settings.hpp"
#include "apps/evbroker/toml_guard.hpp"

#ifndef EVBROKER_VERSION
#define EVBROKER_VERSION "0.1.0"
#endif

namespace evbroker::app {

namespace {

using settings::in_quotes;
using settings::Kind;
using settings::Setting;
using settings::Value;

constexpr std::string_view kApiTokenEnv = "EVBROKER_API_TOKEN";
constexpr std::string_view kClientSecretEnv = "EVBROKER_HUBJECT_CLIENT_SECRET";

/// "a, b,c" -> {"a", "b", "c"}; "" -> {} (so that a flag can empty a list set in the file).
std::optional<std::string> split_list(const std::string& text, std::vector<std::string>& items) {
  items.clear();
  if (text.find_first_not_of(" \t") == std::string::npos) return std::nullopt;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) return "empty entry in the list " + in_quotes(text);
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    items.push_back(std::move(item));
    if (comma == std::string::npos) return std::nullopt;
    start = comma + 1;
  }
}

/// Reads a command-line (or environment) string as a value of the setting's kind.
std::optional<std::string> value_from_text(const Setting& setting, const std::string& text, Value& value) {
  if (setting.kind == Kind::list) {
    std::vector<std::string> items;
    if (auto error = split_list(text, items)) return error;
    value = std::move(items);
    return std::nullopt;
  }
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
      return "expected an integer (" + std::string(setting.unit) + "), got " + std::string(toml_type_name(node.type()));
    case Kind::boolean:
      if (const auto* b = node.as_boolean()) {
        value = b->get();
        return std::nullopt;
      }
      return "expected true or false, got " + std::string(toml_type_name(node.type()));
    case Kind::repeatable:
      if (const auto* s = node.as_string()) {
        value = std::vector<std::string>{s->get()};
        return std::nullopt;
      }
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& element : *array) {
          const auto* item = element.as_string();
          if (item == nullptr)
            return "expected an array of strings, found " + std::string(toml_type_name(element.type())) + " in it";
          items.push_back(item->get());
        }
        value = std::move(items);
        return std::nullopt;
      }
      return "expected a string or an array of strings, got " + std::string(toml_type_name(node.type()));
    case Kind::list:
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& element : *array) {
          const auto* s = element.as_string();
          if (s == nullptr) {
            return "expected an array of strings, found " + std::string(toml_type_name(element.type())) + " in it";
          }
          if (s->get().empty()) return std::string("empty string in the array");
          items.push_back(s->get());
        }
        value = std::move(items);
        return std::nullopt;
      }
      return "expected an array of strings (e.g. [\"a\", \"b\"]), got " + std::string(toml_type_name(node.type()));
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

  // Before toml++ sees it: it must never meet the characters toml++ 3.3.0 trips on (toml_guard.hpp).
  if (auto problem = make_readable_by_toml(text))
    return path + ":" + std::to_string(problem->line) + ":" + std::to_string(problem->column) + ": " + problem->why;

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
    const Setting* setting = settings::find(key.str());
    if (setting == nullptr) {
      std::string message = "unknown key " + in_quotes(key.str());
      std::string underscored(key.str());
      std::replace(underscored.begin(), underscored.end(), '-', '_');
      if (settings::find(underscored) != nullptr) {
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

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string counted(std::size_t n, const std::string& thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

/// wss uses the local PKI's server certificates unless certificates and their keys are given: as
/// many keys as certificates, paired by position. (Whether a key fits its certificate, and that no
/// two certificates hold the same kind of key, is checked when the files are read: tls_context.cpp.)
std::optional<std::string> check_tls(const NodeConfig& config) {
  const auto& certs = config.tls_certs;
  const auto& keys = config.tls_keys;
  if (!certs.empty() && keys.empty()) {
    return "tls_cert " + joined(certs) + (certs.size() == 1 ? " needs its private key" : " need their private keys") +
           ": set tls_key (--tls-key FILE) as well";
  }
  if (certs.empty() && !keys.empty()) {
    return "tls_key " + joined(keys) +
           " is set without tls_cert: set both (--tls-cert FILE --tls-key FILE), or neither to use the local "
           "PKI's server certificate";
  }
  if (certs.size() != keys.size()) {
    return "tls_cert names " + counted(certs.size(), "certificate") + " (" + joined(certs) + ") but tls_key " +
           counted(keys.size(), "key") + " (" + joined(keys) +
           "): give one --tls-key per --tls-cert, in the same order (the n-th key belongs to the n-th certificate)";
  }
  return std::nullopt;
}

std::optional<std::string> check_api(const NodeConfig& config) {
  if (!is_loopback(config.api_addr) && config.api_token.empty()) {
    return "api_addr " + config.api_addr.to_string() +
           " is not a loopback address, so the management API needs a token: set api_token (--api-token, "
           "the environment variable " +
           std::string(kApiTokenEnv) + " or api_token in the config file), or bind the API to 127.0.0.1";
  }
  return std::nullopt;
}

std::optional<std::string> check_listeners(const NodeConfig& config) {
  struct Named {
    std::string_view name;
    const Endpoint* endpoint;
  };
  std::vector<Named> listeners = {{"ws_addr", &config.ws_addr}, {"api_addr", &config.api_addr}};
  if (config.wss_addr) listeners.push_back({"wss_addr", &*config.wss_addr});
  if (config.files_addr) listeners.push_back({"files_addr", &*config.files_addr});
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

/// Credentials for the Plug & Charge back end only make sense with its URL, and OAuth2 needs all
/// three of endpoint, id and secret.
std::optional<std::string> check_backend(const NodeConfig& config) {
  if (config.hubject_url.empty()) {
    const std::pair<std::string_view, const std::string*> needing_url[] = {
        {"hubject_token", &config.hubject_token},
        {"hubject_token_env", &config.hubject_token_env},
        {"hubject_oauth_url", &config.hubject_oauth_url},
        {"hubject_client_id", &config.hubject_client_id},
    };
    for (const auto& [name, value] : needing_url) {
      if (!value->empty())
        return std::string(name) + " is set but hubject_url is not: set the back end's URL (--hubject-url)";
    }
  }
  if (!config.hubject_client_id.empty()) {
    if (config.hubject_oauth_url.empty()) {
      return "hubject_client_id needs the OAuth2 token endpoint: set hubject_oauth_url (--hubject-oauth-url URL)";
    }
    if (config.hubject_client_secret.empty()) {
      return "hubject_client_id needs a client secret: set hubject_client_secret (--hubject-client-secret, the "
             "environment variable " +
             std::string(kClientSecretEnv) + " or hubject_client_secret in the config file)";
    }
  } else if (!config.hubject_oauth_url.empty()) {
    return "hubject_oauth_url is set but hubject_client_id is not: set the OAuth2 client id (--hubject-client-id)";
  }
  return std::nullopt;
}

/// Checks that span several settings, once every source has been applied.
std::optional<std::string> check_cluster(const NodeConfig& config) {
  if (config.role == Role::all && config.partition_count > 1) return "--partition is for role manager";
  if (config.role == Role::all) return std::nullopt;
  if (config.mqtt_prefix.empty()) return "--mqtt-prefix: must not be empty";
  if (config.role == Role::manager && config.mqtt_group.empty()) return "--mqtt-group: must not be empty for a manager";
  if (config.mqtt_client_cert.empty() != config.mqtt_client_key.empty())
    return "--mqtt-client-cert and --mqtt-client-key go together";
  if (config.partition_count > 1 && config.role != Role::manager)
    return "--partition is for role manager (gateways reach every partition)";
  return std::nullopt;
}

/// One upload must fit in what a station's uploads may take, or it would push out all the others.
std::optional<std::string> check_files(const NodeConfig& config) {
  if (config.max_upload_bytes > config.station_uploads_max_bytes)
    return "max_upload_bytes " + std::to_string(config.max_upload_bytes) + " is more than station_uploads_max_bytes " +
           std::to_string(config.station_uploads_max_bytes);
  return std::nullopt;
}

std::optional<std::string> check_combination(const NodeConfig& config) {
  for (auto check : {check_tls, check_api, check_listeners, check_backend, check_cluster, check_files}) {
    if (auto error = check(config)) return error;
  }
  return std::nullopt;
}

/// api_token from the first line of api_token_file (a trailing CR/LF is not part of it).
std::optional<std::string> read_api_token_file(NodeConfig& config) {
  const std::string& path = config.api_token_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return "api_token_file: cannot open " + in_quotes(path) + ": " + std::generic_category().message(errno);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == '\n')) token.pop_back();
  if (token.empty()) return "api_token_file " + in_quotes(path) + ": the first line is empty";
  if (!std::all_of(token.begin(), token.end(), [](char ch) { return ch > ' ' && ch < '\x7f'; }))
    return "api_token_file " + in_quotes(path) + ": the token must be visible ASCII characters only";
  config.api_token = std::move(token);
  return std::nullopt;
}

/// What follows once every setting is in place: the API token from its file, then (ParseChecks::all)
/// the checks across settings. parse_config's last step; fuzz_config calls it for a file alone.
std::optional<std::string> finish_settings(NodeConfig& config, ParseChecks checks) {
  if (!config.api_token_file.empty()) {
    if (!config.api_token.empty())
      return "api_token_file " + config.api_token_file +
             " and api_token (--api-token, EVBROKER_API_TOKEN or the config file) are both set: give the token once";
    if (auto error = read_api_token_file(config)) return error;
  }
  if (checks == ParseChecks::all) return check_combination(config);
  return std::nullopt;
}

/// What a switch's value may be (--sync=V, --no-sync=V): a word CLI11 reads as a boolean, or a
/// number (its sign decides); a clear error naming the switch otherwise, where CLI11 says only
/// "Could not convert".
std::string check_switch_value(std::string& value) {
  static constexpr std::string_view kWords[] = {"true",    "false", "on", "off", "yes", "no", "enable",
                                                "disable", "t",     "f",  "y",   "n",   "+",  "-"};
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords)) return {};
  const std::string_view digits = std::string_view(lower).substr(lower.starts_with('-') ? 1 : 0);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  constexpr std::size_t kShown = 24;
  return "expected yes/no, true/false, on/off or 1/0, got " +
         in_quotes(value.size() > kShown ? value.substr(0, kShown) + "..." : value);
}

ParseOutcome error_outcome(std::string message) {
  return ParseOutcome{ParseOutcome::Kind::exit_error, 2, std::move(message)};
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::all: return "all";
    case Role::gateway: return "gateway";
    case Role::manager: return "manager";
  }
  return "all";
}

std::string node_identity(const NodeConfig& config) {
  if (!config.node_id.empty()) return config.node_id;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "evbroker");
  if (config.role == Role::gateway) return std::string(host) + "-gw-" + std::to_string(config.ws_addr.port);
  return std::string(host) + "-manager";
}

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
    } else if (!settings::is_valid_hostname(host)) {
      error = in_quotes(host) + " is not a valid host name";
      return false;
    }
  }

  if (port_text.empty() ||
      !std::all_of(port_text.begin(), port_text.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
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
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch); });
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

bool flag_takes_value(std::string_view flag) {
  if (flag == "-c" || flag == "--config") return true;
  if (!flag.starts_with("--")) return false;
  std::string key(flag.substr(2));
  std::replace(key.begin(), key.end(), '-', '_');
  const Setting* setting = settings::find(key);
  return setting != nullptr && setting->kind != Kind::boolean;
}

std::string pki_directory(const NodeConfig& config) {
  if (!config.pki_dir.empty()) return config.pki_dir;
  return (std::filesystem::path(config.data_dir) / "pki").string();
}

// The CLI11 definition of the node's flags, built once per ConfigParser: adding an option makes
// CLI11 compare its names with every option added before (64 settings: about two thousand
// comparisons, each allocating), which is most of a parse's time. Each setting has one slot that
// CLI11 fills; only the slots of options given in this parse (count() > 0) are read, so slots left
// over from an earlier parse are never seen.
struct ConfigParser::Definition {
  std::span<const Setting> all = settings::all();
  CLI::App app{"evbroker: an OCPP broker node (charge station management system core)", "evbroker"};
  std::string config_path;
  std::vector<std::string> texts = std::vector<std::string>(all.size());
  std::deque<bool> switches = std::deque<bool>(all.size(), false);  // stable references, real bools
  std::vector<CLI::Option*> options = std::vector<CLI::Option*>(all.size(), nullptr);
  // Each switch --X has its own --no-X, not CLI11's negated name (--X,!--no-X): CLI11 2.3 reads
  // the value of a negated name (--no-X=V, however the argument is spelled) with std::stoll and
  // negates it, so a number too long for 64 bits escaped as std::out_of_range and -2^63 overflowed
  // (three long fuzz_config findings). A plain flag's value goes through CLI11's boolean conversion,
  // which takes any word or number safely. The last of --X and --no-X given wins.
  std::deque<bool> negated = std::deque<bool>(all.size(), false);
  std::vector<CLI::Option*> negations = std::vector<CLI::Option*>(all.size(), nullptr);

  Definition() {
    const NodeConfig defaults;  // default-initialised: "{}" trips a GCC 12 -Wmaybe-uninitialized false positive at -O3
    app.allow_extras();         // unknown arguments are reported by parse, with a clearer message than CLI11's
    app.get_formatter()->column_width(44);
    app.set_version_flag("--version", "evbroker " EVBROKER_VERSION);
    app.footer(
        "Each setting is taken from the first of: its flag; for the secrets, the environment variables "
        "EVBROKER_API_TOKEN, EVBROKER_HUBJECT_CLIENT_SECRET and EVBROKER_MQTT_PASSWORD; the TOML file given with "
        "--config (keys are the "
        "option names with '_' for '-', e.g. ws_addr = \"0.0.0.0:9310\", durations in the unit shown (seconds, MS for "
        "milliseconds), lists as arrays: "
        "server_names = [\"csms.example.com\"]); the default shown.\n"
        "`evbroker ca --help`: export the local PKI's certificates, issue station certificates, rotate.");
    app.add_option("-c,--config", config_path, "TOML file with settings (see evbroker.example.toml)")
        ->type_name("FILE");
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Setting& setting = all[i];
      std::string flag = settings::flag_of(setting);
      if (setting.kind == Kind::boolean) {
        const std::string negation = "--no-" + flag.substr(2);
        const CLI::Validator switch_value(check_switch_value, "", "switch value");
        // CLI11 names a hidden option's validation error with "": the check names it itself.
        const CLI::Validator negation_value(
            [negation](std::string& value) {
              auto error = check_switch_value(value);
              return error.empty() ? error : negation + ": " + error;
            },
            "", "switch value");
        options[i] = app.add_flag(flag, switches[i], std::string(setting.help))
                         ->check(switch_value)
                         ->option_text("or " + negation)
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        negations[i] = app.add_flag(negation, negated[i], "turns " + flag + " off")
                           ->check(negation_value)
                           ->group("")  // shown on the line of flag
                           ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        continue;
      }
      options[i] = app.add_option(flag, texts[i], std::string(setting.help))
                       ->type_name(std::string(setting.type_name))
                       ->default_str(setting.show(defaults))
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      if (!setting.env.empty()) options[i]->envname(std::string(setting.env));
    }
  }
};

ConfigParser::ConfigParser() : definition_(std::make_unique<Definition>()) {}
ConfigParser::~ConfigParser() = default;

ParseOutcome ConfigParser::parse(int argc, const char* const* argv, NodeConfig& out, ParseChecks checks) {
  // CLI11 keeps the order options were given in across parses (App::clear leaves it): a parser
  // kept for many command lines (fuzz_config) starts afresh now and then so that it stays bounded.
  constexpr std::size_t kMaxKeptParseOrder = 4096;
  if (definition_->app.parse_order().size() > kMaxKeptParseOrder) definition_ = std::make_unique<Definition>();
  Definition& d = *definition_;
  const auto& all = d.all;
  CLI::App& app = d.app;
  // Forget the previous parse. CLI11's parse clears its results itself only when the previous parse
  // got as far as reading arguments; config_path is read whether or not --config was given.
  app.clear();
  d.config_path.clear();

  // CLI11 wants the arguments without the program name, last first.
  std::vector<std::string> given;
  for (int i = 1; i < argc; ++i) given.emplace_back(argv[i]);
  std::vector<std::string> args(given.rbegin(), given.rend());
  const std::size_t order_before = app.parse_order().size();  // what this parse adds comes after
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, app.help()};
  } catch (const CLI::CallForVersion& version) {
    return ParseOutcome{ParseOutcome::Kind::exit_ok, 0, std::string(version.what()) + "\n"};
  } catch (const CLI::ParseError& error) {
    std::string message = error.what();
    if (message.starts_with(": ")) message.erase(0, 2);  // a hidden option's error, named by its check
    return error_outcome(message + " (see evbroker --help)");
  }
  if (auto extras = app.remaining(); !extras.empty()) {
    const std::string& first = extras.front();
    if (first.size() > 1 && first.front() == '-') {
      return error_outcome("unknown option " + in_quotes(first.substr(0, first.find('='))) + " (see evbroker --help)");
    }
    return error_outcome("unexpected argument " + in_quotes(first) + " (evbroker takes no positional arguments)");
  }

  NodeConfig config;
  if (!d.config_path.empty()) {
    if (auto error = apply_toml_file(d.config_path, config)) return error_outcome(*error);
  } else if (app.count("--config") > 0) {
    return error_outcome("--config: expected a file name, got ''");
  }

  for (std::size_t i = 0; i < all.size(); ++i) {
    const Setting& setting = all[i];
    const CLI::Option* negation = d.negations[i];
    if (d.options[i]->count() == 0 && (negation == nullptr || negation->count() == 0)) continue;
    Value value;
    std::optional<std::string> error;
    if (setting.kind == Kind::boolean) {
      value = d.switches[i];
      const auto& order = app.parse_order();
      const auto first_of_this_parse = order.begin() + static_cast<std::ptrdiff_t>(order_before);
      const auto last = std::find_if(
          order.rbegin(), std::make_reverse_iterator(first_of_this_parse),
          [&](const CLI::Option* given_option) { return given_option == d.options[i] || given_option == negation; });
      if (last != std::make_reverse_iterator(first_of_this_parse) && *last == negation) value = !d.negated[i];
    } else if (setting.kind == Kind::repeatable) {
      // Every occurrence of the flag, in order: CLI11 keeps them all in results() (the slot in texts
      // holds the last only).
      value = std::vector<std::string>(d.options[i]->results().begin(), d.options[i]->results().end());
    } else {
      error = value_from_text(setting, d.texts[i], value);
    }
    if (!error) error = setting.apply(config, value);
    if (error) {
      // A value from the environment did not come from a flag: say where it came from.
      const std::string flag = settings::flag_of(setting);
      const bool from_env =
          !setting.env.empty() && std::none_of(given.begin(), given.end(), [&flag](const std::string& a) {
            return a == flag || a.starts_with(flag + "=");
          });
      return error_outcome((from_env ? std::string(setting.env) : flag) + ": " + *error);
    }
  }

  if (auto error = finish_settings(config, checks)) return error_outcome(*error);
  config.api_token_on_command_line = std::any_of(given.begin(), given.end(), [](const std::string& a) {
    return a == "--api-token" || a.starts_with("--api-token=");
  });
  out = std::move(config);
  return ParseOutcome{};
}

ParseOutcome parse_config(int argc, const char* const* argv, NodeConfig& out, ParseChecks checks) {
  ConfigParser parser;
  return parser.parse(argc, argv, out, checks);
}

}  // namespace evbroker::app
