// Every setting of the node: its TOML key (the flag is the key with dashes), its type, the help line
// --help shows, how a value is checked and stored, and how the default is shown. Adding a setting
// means adding one entry here (and the field in NodeConfig, a line in evbroker.example.toml).

#include "apps/evbroker/config_settings.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

namespace evbroker::app::settings {
namespace {

/// A station group's name as the API takes it (docs/openapi.json Station.groups): 1-64 of
/// A-Z a-z 0-9 . _ : -.
bool is_group_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

// Limits beyond the obvious ones, chosen so that a typo cannot take the node down.
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int32_t>::max();  // OCPP "integer"
constexpr std::int64_t kMinFrameBytes = 1024;
constexpr std::int64_t kMaxFrameBytes = 64 * 1024 * 1024;
constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kMaxBackendTimeoutMs = 10 * 60 * 1000;  // beyond that a station has long given up
constexpr std::int64_t kMaxBackendRetries = 10;
constexpr std::int64_t kMaxBudget = std::int64_t{1} << 40;  // per station: far beyond any real station

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

// ---- checks shared by several settings ----------------------------------------------------------

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

std::optional<std::string> set_text(std::string& field, const Value& value) {
  field = std::get<std::string>(value);
  return std::nullopt;
}

/// Secrets travel in HTTP headers: anything but visible ASCII could never match.
std::optional<std::string> set_header_secret(std::string& field, const Value& value) {
  const auto& secret = std::get<std::string>(value);
  if (!std::all_of(secret.begin(), secret.end(), [](char ch) { return ch > ' ' && ch < '\x7f'; })) {
    return std::string("must be visible ASCII characters only (no spaces or control characters)");
  }
  field = secret;
  return std::nullopt;
}

/// A base URL of a back end: "" (not used) or http(s)://host...
std::optional<std::string> set_url(std::string& field, const Value& value) {
  const auto& url = std::get<std::string>(value);
  if (!url.empty() && !url.starts_with("https://") && !url.starts_with("http://")) {
    return "expected an http:// or https:// URL, got " + in_quotes(url);
  }
  if (url == "https://" || url == "http://") return "missing host in " + in_quotes(url);
  field = url;
  return std::nullopt;
}

/// Files of a repeatable setting: a lone "" empties the list (how a flag overrides the file to go
/// back to the default), an empty name among others is a mistake.
std::optional<std::string> set_files(std::vector<std::string>& field, const Value& value) {
  const auto& files = std::get<std::vector<std::string>>(value);
  if (files.size() == 1 && files.front().empty()) {
    field.clear();
    return std::nullopt;
  }
  if (std::any_of(files.begin(), files.end(), [](const std::string& file) { return file.empty(); }))
    return std::string("empty file name among several files");
  field = files;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

bool is_ip_address(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

std::string show_bool(bool value) { return value ? "true" : "false"; }

/// A piece of an MQTT topic we build topics from: no wildcards, no empty levels; a prefix may have
/// several levels ("site1/cs"), a group or id only one.
std::optional<std::string> set_topic_level(std::string& field, const Value& value, bool levels_allowed) {
  const auto& text = std::get<std::string>(value);
  if (text.empty()) {
    field.clear();
    return std::nullopt;
  }
  if (text.find_first_of("+#") != std::string::npos) return "must not contain MQTT wildcards + or #";
  if (text.front() == '$') return "must not start with $ (reserved by MQTT)";
  if (!levels_allowed && text.find('/') != std::string::npos) return "must not contain /";
  if (text.front() == '/' || text.back() == '/' || text.find("//") != std::string::npos)
    return "must not have empty topic levels (leading, trailing or double /)";
  if (std::any_of(text.begin(), text.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }))
    return "must not contain control characters";
  field = text;
  return std::nullopt;
}

// ---- the settings -------------------------------------------------------------------------------

const std::array kSettings = {
    Setting{"role", Kind::string, "ROLE", "",
            "all (one process, no MQTT), gateway (holds station websockets, bridges them to MQTT) or manager "
            "(handlers, store and management API behind MQTT); see docs/cluster.md",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& text = std::get<std::string>(v);
              for (auto role : {Role::all, Role::gateway, Role::manager}) {
                if (text == role_name(role)) {
                  c.role = role;
                  return std::nullopt;
                }
              }
              return "expected all, gateway or manager, got " + in_quotes(text);
            },
            [](const NodeConfig& c) { return std::string(role_name(c.role)); }},
    Setting{"data_dir", Kind::string, "DIR", "",
            "Directory of the node's durable state (the LMDB environment); created if missing",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              if (std::get<std::string>(v).empty()) return "must not be empty";
              c.data_dir = std::get<std::string>(v);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.data_dir; }},
    Setting{"ws_addr", Kind::string, "HOST:PORT", "", "Plain websocket listener for charge stations (ws://, no TLS)",
            [](NodeConfig& c, const Value& v) { return set_endpoint(c.ws_addr, v); },
            [](const NodeConfig& c) { return c.ws_addr.to_string(); }},
    Setting{"wss_addr", Kind::string, "HOST:PORT", "",
            "TLS websocket listener for charge stations (wss://, Basic auth or client certificates), with "
            "the local PKI's server certificate unless --tls-cert is set (\"\" turns it off)",
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
    Setting{"tls_cert", Kind::repeatable, "FILE", "",
            "PEM server certificate chain for wss, with --tls-key; give it twice, an RSA and an ECDSA one, for "
            "every TLS 1.2 suite OCPP requires (in the file: a list) (default: none, the local PKI's)",
            [](NodeConfig& c, const Value& v) { return set_files(c.tls_certs, v); },
            [](const NodeConfig& c) { return join(c.tls_certs); }},
    Setting{"tls_key", Kind::repeatable, "FILE", "",
            "PEM private key of the --tls-cert certificate; the n-th --tls-key goes with the n-th --tls-cert "
            "(default: none)",
            [](NodeConfig& c, const Value& v) { return set_files(c.tls_keys, v); },
            [](const NodeConfig& c) { return join(c.tls_keys); }},
    Setting{"tls_client_ca", Kind::string, "FILE", "",
            "PEM CA certificate(s) that station client certificates must chain to (default: none, the local "
            "PKI's CPO sub-CA)",
            [](NodeConfig& c, const Value& v) { return set_text(c.tls_client_ca, v); },
            [](const NodeConfig& c) { return c.tls_client_ca; }},
    Setting{"pki_dir", Kind::string, "DIR", "",
            "Directory of the local PKI (CSMS root, server certificate, CPO sub-CA, V2G chain), created on "
            "first start (default: <data-dir>/pki)",
            [](NodeConfig& c, const Value& v) { return set_text(c.pki_dir, v); },
            [](const NodeConfig& c) { return c.pki_dir; }},
    Setting{"server_names", Kind::list, "LIST", "",
            "Extra DNS names and IP addresses of the local server certificate, comma-separated (default: "
            "none; localhost, 127.0.0.1, ::1 and the --wss-addr host are always in); applies when the "
            "certificate is made: first start or `evbroker ca rotate server`",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& names = std::get<std::vector<std::string>>(v);
              for (const auto& name : names) {
                if (!is_ip_address(name) && !is_valid_hostname(name)) {
                  return in_quotes(name) + " is neither a DNS name nor an IP address";
                }
              }
              c.server_names = names;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return join(c.server_names); }},
    Setting{"trust_proxy", Kind::boolean, "", "",
            "Stations connect through a TLS-terminating proxy: on plain ws, trust its X-Forwarded-Proto, "
            "X-Client-Cert and X-Client-Cert-Hash headers (default: off; only with a proxy that always "
            "overwrites them)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              c.trust_proxy = std::get<bool>(v);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return show_bool(c.trust_proxy); }},
    Setting{"api_addr", Kind::string, "HOST:PORT", "",
            "Management API (HTTP) listener; an address other than loopback needs --api-token",
            [](NodeConfig& c, const Value& v) { return set_endpoint(c.api_addr, v); },
            [](const NodeConfig& c) { return c.api_addr.to_string(); }},
    Setting{"files_addr", Kind::string, "HOST:PORT", "",
            "Files listener: stations download the firmware images the node serves from it and upload the "
            "logs and diagnostics it asks for to it (plain HTTP; \"\" turns it off)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              if (std::get<std::string>(v).empty()) {
                c.files_addr.reset();
                return std::nullopt;
              }
              Endpoint endpoint;
              if (auto error = set_endpoint(endpoint, v)) return error;
              c.files_addr = std::move(endpoint);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.files_addr ? c.files_addr->to_string() : std::string(); }},
    Setting{"files_url", Kind::string, "URL", "",
            "Base URL stations are given for the files listener, e.g. behind a proxy or TLS terminator "
            "(default: http://<files-addr>)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& url = std::get<std::string>(v);
              if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
                return "expected an http:// or https:// URL, got " + in_quotes(url);
              c.files_url = url;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.files_url; }},
    Setting{"max_firmware_bytes", Kind::integer, "BYTES", "bytes",
            "Largest firmware image uploaded through the API (PUT /api/v0/firmware/{name}; held in memory "
            "while it arrives)",
            [](NodeConfig& c, const Value& v) { return set_count(c.max_firmware_bytes, v, 1024, 4ll << 30); },
            [](const NodeConfig& c) { return std::to_string(c.max_firmware_bytes); }},
    Setting{"max_upload_bytes", Kind::integer, "BYTES", "bytes",
            "Largest log or diagnostics file one station upload may bring (413 beyond)",
            [](NodeConfig& c, const Value& v) { return set_count(c.max_upload_bytes, v, 1024, 4ll << 30); },
            [](const NodeConfig& c) { return std::to_string(c.max_upload_bytes); }},
    Setting{"station_uploads_max_bytes", Kind::integer, "BYTES", "bytes",
            "What the uploads of one station may take on disk: the oldest are removed beyond",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_uploads_max_bytes, v, 1024, 1ll << 40); },
            [](const NodeConfig& c) { return std::to_string(c.station_uploads_max_bytes); }},
    Setting{"api_token", Kind::string, "TOKEN", "",
            "Bearer token every API request but GET /health must carry (default: none, allowed only with a "
            "loopback --api-addr); taken from the environment variable EVBROKER_API_TOKEN when the flag is "
            "not given",
            [](NodeConfig& c, const Value& v) { return set_header_secret(c.api_token, v); },
            [](const NodeConfig& c) { return c.api_token; }, "EVBROKER_API_TOKEN"},
    Setting{"api_token_file", Kind::string, "FILE", "",
            "File holding the API bearer token (its first line): preferred over --api-token, which anyone can "
            "read in the process list; give one of the two (or EVBROKER_API_TOKEN)",
            [](NodeConfig& c, const Value& v) { return set_text(c.api_token_file, v); },
            [](const NodeConfig& c) { return c.api_token_file; }},
    Setting{"heartbeat_interval", Kind::integer, "SECONDS", "seconds",
            "Heartbeat interval given to stations in BootNotification responses",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.heartbeat_interval, v); },
            [](const NodeConfig& c) { return std::to_string(c.heartbeat_interval.count()); }},
    Setting{"boot_retry_interval", Kind::integer, "SECONDS", "seconds",
            "Interval given to stations whose BootNotification is answered Pending or Rejected: the least time "
            "before they boot again",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.boot_retry_interval, v); },
            [](const NodeConfig& c) { return std::to_string(c.boot_retry_interval.count()); }},
    Setting{"registration_status", Kind::string, "STATUS", "",
            "Registration status a newly registered station gets when its registration does not name one: "
            "Accepted, Pending or Rejected (what its BootNotification is answered)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& status = std::get<std::string>(v);
              if (status != "Accepted" && status != "Pending" && status != "Rejected")
                return "expected one of Accepted, Pending, Rejected, got " + in_quotes(status);
              c.registration_status = status;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.registration_status; }},
    Setting{"boot_provisioning_groups", Kind::list, "LIST", "",
            "Station groups (a station's `groups`) whose stations are read at their first boot as if registered "
            "with bootProvisioning, comma-separated; * for every station (default: none)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& groups = std::get<std::vector<std::string>>(v);
              for (const auto& group : groups)
                if (group != "*" && !is_group_name(group))
                  return in_quotes(group) + " is not a group name (1-64 of A-Z a-z 0-9 . _ : -) nor *";
              c.boot_provisioning_groups = groups;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return join(c.boot_provisioning_groups); }},
    Setting{"call_timeout", Kind::integer, "SECONDS", "seconds",
            "How long a CSMS call waits for the station's answer (then the API answers 504)",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.call_timeout, v); },
            [](const NodeConfig& c) { return std::to_string(c.call_timeout.count()); }},
    Setting{"ping_interval", Kind::integer, "SECONDS", "seconds",
            "Websocket ping after this long without traffic from a station",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.ping_interval, v); },
            [](const NodeConfig& c) { return std::to_string(c.ping_interval.count()); }},
    Setting{
        "max_frame_bytes", Kind::integer, "BYTES", "bytes",
        "Largest websocket message a station may send (1024 to 67108864)",
        [](NodeConfig& c, const Value& v) { return set_count(c.max_frame_bytes, v, kMinFrameBytes, kMaxFrameBytes); },
        [](const NodeConfig& c) { return std::to_string(c.max_frame_bytes); }},
    Setting{"max_json_depth", Kind::integer, "LEVELS", "levels",
            "Deepest nesting of objects and arrays in any JSON the node reads: frames, MQTT envelopes, API "
            "bodies (8 to 1024); deeper input is refused (FormatViolation / 400)",
            [](NodeConfig& c, const Value& v) { return set_count(c.max_json_depth, v, 8, 1024); },
            [](const NodeConfig& c) { return std::to_string(c.max_json_depth); }},
    Setting{"max_queued_calls", Kind::integer, "N", "calls",
            "CSMS calls that may wait per station, one being in flight (the API answers 503 beyond)",
            [](NodeConfig& c, const Value& v) {
              return set_count(c.max_queued_calls, v, 1, std::numeric_limits<std::int32_t>::max());
            },
            [](const NodeConfig& c) { return std::to_string(c.max_queued_calls); }},
    Setting{"max_pending_settings", Kind::integer, "N", "settings",
            "Settings (POST /api/v0/cs/{id}/reconfigure) that may wait per station to be applied; the API answers "
            "409 beyond (1 to 100000)",
            [](NodeConfig& c, const Value& v) { return set_count(c.max_pending_settings, v, 1, 100000); },
            [](const NodeConfig& c) { return std::to_string(c.max_pending_settings); }},
    Setting{"station_events_max", Kind::integer, "N", "entries",
            "Events one station may have stored (security events, notifications, reports, unknown-vendor "
            "DataTransfers); beyond it they are refused (CALLERROR GenericError, DataTransfer Rejected)",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_events_max, v, 1, kMaxBudget); },
            [](const NodeConfig& c) { return std::to_string(c.station_events_max); }},
    Setting{"station_events_max_bytes", Kind::integer, "BYTES", "bytes",
            "Bytes of events one station may have stored (see station_events_max)",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_events_max_bytes, v, 1024, kMaxBudget); },
            [](const NodeConfig& c) { return std::to_string(c.station_events_max_bytes); }},
    Setting{"station_device_model_max", Kind::integer, "N", "entries",
            "Device-model variables (NotifyReport) one station may have stored; beyond it NotifyReport is refused",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_device_model_max, v, 1, kMaxBudget); },
            [](const NodeConfig& c) { return std::to_string(c.station_device_model_max); }},
    Setting{
        "station_device_model_max_bytes", Kind::integer, "BYTES", "bytes",
        "Bytes of device model one station may have stored",
        [](NodeConfig& c, const Value& v) { return set_count(c.station_device_model_max_bytes, v, 1024, kMaxBudget); },
        [](const NodeConfig& c) { return std::to_string(c.station_device_model_max_bytes); }},
    Setting{"station_meter_values_max", Kind::integer, "N", "entries",
            "Meter values outside any transaction one station may have stored; beyond it MeterValues is refused",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_meter_values_max, v, 1, kMaxBudget); },
            [](const NodeConfig& c) { return std::to_string(c.station_meter_values_max); }},
    Setting{
        "station_meter_values_max_bytes", Kind::integer, "BYTES", "bytes",
        "Bytes of meter values outside transactions one station may have stored",
        [](NodeConfig& c, const Value& v) { return set_count(c.station_meter_values_max_bytes, v, 1024, kMaxBudget); },
        [](const NodeConfig& c) { return std::to_string(c.station_meter_values_max_bytes); }},
    Setting{"station_max_connectors", Kind::integer, "N", "connectors",
            "EVSE/connector pairs one station may report a status for",
            [](NodeConfig& c, const Value& v) { return set_count(c.station_max_connectors, v, 1, 65536); },
            [](const NodeConfig& c) { return std::to_string(c.station_max_connectors); }},
    Setting{"event_retention", Kind::integer, "SECONDS", "seconds",
            "Events older than this are deleted and their room in the station budget given back (0: keep them)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto n = std::get<std::int64_t>(v);
              if (n == 0) {
                c.event_retention = std::chrono::seconds{0};
                return std::nullopt;
              }
              return set_seconds(c.event_retention, v);
            },
            [](const NodeConfig& c) { return std::to_string(c.event_retention.count()); }},
    Setting{"login_failures_per_station", Kind::integer, "N", "failures",
            "Failed logins within a minute from one address for one station id before that address is refused for "
            "that id for login_lockout (0: off); the same station from another address is not affected",
            [](NodeConfig& c, const Value& v) { return set_count(c.login_failures_per_station, v, 0, 1000000); },
            [](const NodeConfig& c) { return std::to_string(c.login_failures_per_station); }},
    Setting{"login_failures_per_address", Kind::integer, "N", "failures",
            "Failed logins (any station id, unknown ids included) within a minute from one address before the "
            "address is refused for login_lockout (0: off); behind --trust-proxy the address is the last "
            "X-Forwarded-For entry",
            [](NodeConfig& c, const Value& v) { return set_count(c.login_failures_per_address, v, 0, 1000000); },
            [](const NodeConfig& c) { return std::to_string(c.login_failures_per_address); }},
    Setting{"login_lockout", Kind::integer, "SECONDS", "seconds",
            "How long an address (or address and station id) is refused after too many failed logins",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.login_lockout, v); },
            [](const NodeConfig& c) { return std::to_string(c.login_lockout.count()); }},
    Setting{"max_handshakes_per_address", Kind::integer, "N", "handshakes",
            "Handshakes in progress from one source address (IPv6: one /64) at once; beyond it a socket is closed "
            "at once, so that one address cannot hold every handshake slot (0: no limit, e.g. behind a "
            "TLS-terminating proxy, where every connection comes from the proxy)",
            [](NodeConfig& c, const Value& v) {
              return set_count(c.max_handshakes_per_address, v, 0, std::numeric_limits<std::int32_t>::max());
            },
            [](const NodeConfig& c) { return std::to_string(c.max_handshakes_per_address); }},
    Setting{"first_bytes_timeout", Kind::integer, "SECONDS", "seconds",
            "A station socket that sends nothing (no TLS ClientHello, no HTTP request) for this long after it was "
            "accepted is closed",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.first_bytes_timeout, v); },
            [](const NodeConfig& c) { return std::to_string(c.first_bytes_timeout.count()); }},
    Setting{"handshake_timeout", Kind::integer, "SECONDS", "seconds",
            "From a station socket accepted to its websocket upgrade done (TLS included); then it is closed",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.handshake_timeout, v); },
            [](const NodeConfig& c) { return std::to_string(c.handshake_timeout.count()); }},
    Setting{"max_station_connections", Kind::integer, "N", "connections",
            "Station sockets (open websockets and handshakes in progress) at once; beyond it new ones are closed "
            "at once (0: as many as the open-file limit leaves after the API, the store and MQTT)",
            [](NodeConfig& c, const Value& v) {
              return set_count(c.max_station_connections, v, 0, std::numeric_limits<std::int32_t>::max());
            },
            [](const NodeConfig& c) { return std::to_string(c.max_station_connections); }},
    Setting{"api_max_connections", Kind::integer, "N", "connections",
            "Management API connections at once; a new one takes the place of the longest-waiting idle one",
            [](NodeConfig& c, const Value& v) { return set_count(c.api_max_connections, v, 1, 65536); },
            [](const NodeConfig& c) { return std::to_string(c.api_max_connections); }},
    Setting{"api_idle_timeout", Kind::integer, "SECONDS", "seconds",
            "An API connection without a complete request header for this long is closed",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.api_idle_timeout, v); },
            [](const NodeConfig& c) { return std::to_string(c.api_idle_timeout.count()); }},
    Setting{"max_pending_handshakes", Kind::integer, "N", "handshakes",
            "Connection handshakes (TCP, TLS, websocket upgrade) in progress at once: admission control "
            "for reconnect storms",
            [](NodeConfig& c, const Value& v) {
              return set_count(c.max_pending_handshakes, v, 1, std::numeric_limits<std::int32_t>::max());
            },
            [](const NodeConfig& c) { return std::to_string(c.max_pending_handshakes); }},
    Setting{"io_threads", Kind::integer, "N", "threads", "Network I/O threads (0: one per core the process may run on)",
            [](NodeConfig& c, const Value& v) { return set_threads(c.io_threads, v); },
            [](const NodeConfig& c) { return std::to_string(c.io_threads); }},
    Setting{"actor_threads", Kind::integer, "N", "threads",
            "Actor scheduler threads (0: one per core the process may run on)",
            [](NodeConfig& c, const Value& v) { return set_threads(c.actor_threads, v); },
            [](const NodeConfig& c) { return std::to_string(c.actor_threads); }},
    Setting{"sync", Kind::boolean, "", "",
            "fsync every commit (default: on). --no-sync is for tests and benchmarks only: acknowledged "
            "data can be lost when the machine fails",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              c.sync = std::get<bool>(v);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return show_bool(c.sync); }},
    Setting{"log_level", Kind::string, "LEVEL", "", "Log level: trace, debug, info, warn, error or off",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& level = std::get<std::string>(v);
              if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
                return "expected one of trace, debug, info, warn, error, off, got " + in_quotes(level);
              }
              c.log_level = level;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.log_level; }},
    Setting{"log_format", Kind::string, "FORMAT", "", "Log format: text or json (one JSON object a line)",
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

    // ---- Plug & Charge back ends ----
    Setting{"hubject_url", Kind::string, "URL", "",
            "Base URL of Hubject's Open Plug&Charge API or a compatible back end (default: none: V2G "
            "certificates from the local PKI, Get15118EVCertificate answers Failed)",
            [](NodeConfig& c, const Value& v) { return set_url(c.hubject_url, v); },
            [](const NodeConfig& c) { return c.hubject_url; }},
    Setting{"hubject_token", Kind::string, "TOKEN", "",
            "Fixed bearer token for the back end (default: none; prefer --hubject-token-env)",
            [](NodeConfig& c, const Value& v) { return set_header_secret(c.hubject_token, v); },
            [](const NodeConfig& c) { return c.hubject_token; }},
    Setting{"hubject_token_env", Kind::string, "NAME", "",
            "Environment variable the back end's bearer token is read from, at each use (default: none)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& name = std::get<std::string>(v);
              const bool valid = name.empty() || ((name.front() < '0' || name.front() > '9') &&
                                                  std::all_of(name.begin(), name.end(), [](char ch) {
                                                    return ch == '_' || (ch >= 'A' && ch <= 'Z') ||
                                                           (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
                                                  }));
              if (!valid) return "expected an environment variable name (letters, digits, '_'), got " + in_quotes(name);
              c.hubject_token_env = name;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.hubject_token_env; }},
    Setting{"hubject_oauth_url", Kind::string, "URL", "",
            "OAuth2 token endpoint for the back end (client credentials grant, with --hubject-client-id) "
            "(default: none)",
            [](NodeConfig& c, const Value& v) { return set_url(c.hubject_oauth_url, v); },
            [](const NodeConfig& c) { return c.hubject_oauth_url; }},
    Setting{"hubject_client_id", Kind::string, "ID", "",
            "OAuth2 client id; needs --hubject-oauth-url and a client secret (default: none)",
            [](NodeConfig& c, const Value& v) { return set_header_secret(c.hubject_client_id, v); },
            [](const NodeConfig& c) { return c.hubject_client_id; }},
    Setting{"hubject_client_secret", Kind::string, "SECRET", "",
            "OAuth2 client secret (default: none); taken from the environment variable "
            "EVBROKER_HUBJECT_CLIENT_SECRET when the flag is not given",
            [](NodeConfig& c, const Value& v) { return set_text(c.hubject_client_secret, v); },
            [](const NodeConfig& c) { return c.hubject_client_secret; }, "EVBROKER_HUBJECT_CLIENT_SECRET"},
    Setting{"contract_roots", Kind::list, "LIST", "",
            "PEM files of trusted V2G and MO roots for contract certificates, comma-separated (default: "
            "none; with --hubject-url its root certificates are added)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              c.contract_roots = std::get<std::vector<std::string>>(v);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return join(c.contract_roots); }},
    Setting{"root_cache_ttl", Kind::integer, "SECONDS", "seconds",
            "How long root certificates fetched from the back end are used before they are fetched again",
            [](NodeConfig& c, const Value& v) { return set_seconds(c.root_cache_ttl, v); },
            [](const NodeConfig& c) { return std::to_string(c.root_cache_ttl.count()); }},
    Setting{"backend_timeout", Kind::integer, "MS", "milliseconds",
            "Deadline of one HTTP exchange with a back end or OCSP responder, in milliseconds",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              auto n = std::get<std::int64_t>(v);
              if (n < 1 || n > kMaxBackendTimeoutMs) {
                return "must be between 1 and " + std::to_string(kMaxBackendTimeoutMs) + " milliseconds, got " +
                       std::to_string(n);
              }
              c.backend_timeout = std::chrono::milliseconds{n};
              return std::nullopt;
            },
            [](const NodeConfig& c) { return std::to_string(c.backend_timeout.count()); }},
    Setting{"backend_retries", Kind::integer, "N", "retries",
            "Extra attempts after a back end answers 5xx or cannot be reached (0 to 10)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              auto n = std::get<std::int64_t>(v);
              if (n < 0 || n > kMaxBackendRetries) {
                return "must be between 0 and " + std::to_string(kMaxBackendRetries) + ", got " + std::to_string(n);
              }
              c.backend_retries = static_cast<int>(n);
              return std::nullopt;
            },
            [](const NodeConfig& c) { return std::to_string(c.backend_retries); }},
    Setting{"backend_ca", Kind::string, "FILE", "",
            "PEM CA certificate(s) that the back ends' HTTPS certificates must chain to (default: none, the "
            "system's trust store)",
            [](NodeConfig& c, const Value& v) { return set_text(c.backend_ca, v); },
            [](const NodeConfig& c) { return c.backend_ca; }},
    Setting{"mqtt_url", Kind::list, "LIST", "",
            "MQTT v5 broker URL(s) for roles gateway and manager, comma-separated, tried in turn: mqtt://host:port "
            "or mqtts://host:port (TLS)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& urls = std::get<std::vector<std::string>>(v);
              if (urls.empty()) return "needs at least one URL";
              for (const auto& url : urls) {
                const bool known = url.starts_with("mqtt://") || url.starts_with("mqtts://") ||
                                   url.starts_with("tcp://") || url.starts_with("ssl://");
                if (!known) return "expected mqtt://host:port or mqtts://host:port, got " + in_quotes(url);
                if (url.ends_with("://")) return "missing host in " + in_quotes(url);
              }
              c.mqtt_urls = urls;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return join(c.mqtt_urls); }},
    Setting{"mqtt_prefix", Kind::string, "PREFIX", "",
            "Topic prefix: stations' messages go on <prefix>/in/<subprotocol>/<id> and <prefix>/out/... (MaEVe's)",
            [](NodeConfig& c, const Value& v) { return set_topic_level(c.mqtt_prefix, v, true); },
            [](const NodeConfig& c) { return c.mqtt_prefix; }},
    Setting{"mqtt_group", Kind::string, "NAME", "",
            "Shared-subscription group the manager subscribes with ($share/<group>/...)",
            [](NodeConfig& c, const Value& v) { return set_topic_level(c.mqtt_group, v, false); },
            [](const NodeConfig& c) { return c.mqtt_group; }},
    Setting{"mqtt_username", Kind::string, "NAME", "", "User name for the MQTT broker (default: anonymous)",
            [](NodeConfig& c, const Value& v) { return set_text(c.mqtt_username, v); },
            [](const NodeConfig& c) { return c.mqtt_username; }},
    Setting{"mqtt_password", Kind::string, "SECRET", "",
            "Password for the MQTT broker; taken from EVBROKER_MQTT_PASSWORD when the flag is not given",
            [](NodeConfig& c, const Value& v) { return set_text(c.mqtt_password, v); },
            [](const NodeConfig& c) { return c.mqtt_password; }, "EVBROKER_MQTT_PASSWORD"},
    Setting{"mqtt_ca", Kind::string, "FILE", "",
            "PEM CA certificate(s) the mqtts:// broker's certificate must chain to (default: the system's)",
            [](NodeConfig& c, const Value& v) { return set_text(c.mqtt_ca, v); },
            [](const NodeConfig& c) { return c.mqtt_ca; }},
    Setting{"mqtt_client_cert", Kind::string, "FILE", "",
            "PEM client certificate presented to the mqtts:// broker (default: none)",
            [](NodeConfig& c, const Value& v) { return set_text(c.mqtt_client_cert, v); },
            [](const NodeConfig& c) { return c.mqtt_client_cert; }},
    Setting{"mqtt_client_key", Kind::string, "FILE", "", "PEM private key of --mqtt-client-cert",
            [](NodeConfig& c, const Value& v) { return set_text(c.mqtt_client_key, v); },
            [](const NodeConfig& c) { return c.mqtt_client_key; }},
    Setting{"partition", Kind::string, "K/N", "",
            "For several managers: this manager owns partition K of N (stations by a stable hash of their id; "
            "docs/cluster.md); 0/1 owns every station",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              const auto& text = std::get<std::string>(v);
              const auto slash = text.find('/');
              std::uint32_t k = 0, n = 0;
              auto number = [](std::string_view part, std::uint32_t& out) {
                auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
                return ec == std::errc{} && end == part.data() + part.size() && !part.empty();
              };
              if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), k) ||
                  !number(std::string_view(text).substr(slash + 1), n))
                return "expected K/N (e.g. 0/4), got " + in_quotes(text);
              if (n < 1 || n > 4096) return "N must be between 1 and 4096, got " + std::to_string(n);
              if (k >= n) return "K must be below N, got " + in_quotes(text);
              c.partition_index = k;
              c.partition_count = n;
              return std::nullopt;
            },
            [](const NodeConfig& c) {
              return std::to_string(c.partition_index) + "/" + std::to_string(c.partition_count);
            }},
    Setting{"node_id", Kind::string, "ID", "",
            "This process's id in the cluster, unique per process (default: <hostname>-gw-<ws port> for a "
            "gateway, <hostname>-manager for a manager)",
            [](NodeConfig& c, const Value& v) -> std::optional<std::string> {
              // It names the process in topics, client ids, logs and JSON: keep it plain.
              const auto& id = std::get<std::string>(v);
              const bool plain = std::all_of(id.begin(), id.end(), [](char ch) {
                return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                       ch == '_' || ch == '.';
              });
              if (!plain || id.size() > 64)
                return "must be at most 64 letters, digits, '-', '_' or '.', got " + in_quotes(id);
              c.node_id = id;
              return std::nullopt;
            },
            [](const NodeConfig& c) { return c.node_id; }},
};

}  // namespace

std::span<const Setting> all() { return kSettings; }

const Setting* find(std::string_view key) {
  auto it = std::find_if(kSettings.begin(), kSettings.end(), [key](const Setting& s) { return s.key == key; });
  return it == kSettings.end() ? nullptr : &*it;
}

std::string flag_of(const Setting& setting) {
  std::string flag = "--" + std::string(setting.key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

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

}  // namespace evbroker::app::settings
