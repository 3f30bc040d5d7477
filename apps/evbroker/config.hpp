#pragma once
// The node's configuration: embedded defaults, then a TOML file (--config), then command-line
// flags, each overriding the one before. `evbroker --help` lists every option with its default.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace evbroker::app {

struct Endpoint {
  std::string host;  // "127.0.0.1", "0.0.0.0", "::1", "localhost"
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port" ("[::1]:9310" for IPv6)
};

enum class LogFormat { text, json };

struct NodeConfig {
  std::string data_dir = "./data";
  Endpoint ws_addr{"127.0.0.1", 9310};
  std::optional<Endpoint> wss_addr;         // off unless set; needs tls_cert and tls_key
  std::string tls_cert;                     // PEM server certificate chain for wss
  std::string tls_key;                      // PEM private key for wss
  std::string tls_client_ca;                // PEM CA(s) client certificates must chain to (profile 3)
  Endpoint api_addr{"127.0.0.1", 9410};
  std::string api_token;                    // required when api_addr is not loopback
  std::chrono::seconds heartbeat_interval{300};   // sent in BootNotification responses
  std::chrono::seconds call_timeout{30};          // CSMS -> station CALL answer deadline
  std::chrono::seconds ping_interval{60};         // websocket ping after this long idle
  std::size_t max_frame_bytes = 256 * 1024;
  std::size_t max_queued_calls = 32;              // CSMS calls waiting per station
  std::size_t max_pending_handshakes = 1024;
  unsigned io_threads = 0;                        // 0: one per core
  unsigned actor_threads = 0;                     // 0: one per core
  bool sync = true;                               // fsync each commit (never turn off in production)
  std::string log_level = "info";                 // trace debug info warn error off
  LogFormat log_format = LogFormat::text;
};

struct ParseOutcome {
  enum class Kind { run, exit_ok, exit_error } kind = Kind::run;
  int exit_code = 0;       // for exit_ok (after --help/--version) or exit_error
  std::string message;     // help text, or the error ("--ws-addr: expected host:port, got 'x'")
};

/// Parses argv (defaults < --config file < flags) and checks the result (e.g. an API bound to a
/// non-loopback address without a token, wss without a certificate). Never exits the process.
ParseOutcome parse_config(int argc, const char* const* argv, NodeConfig& out);

/// Parses "host:port" / "[v6]:port".
bool parse_endpoint(std::string_view text, Endpoint& out, std::string& error);
bool is_loopback(const Endpoint& endpoint);

}  // namespace evbroker::app
