#pragma once
// The websocket listener for charge stations (Boost.Beast over Asio, plain ws and TLS wss).
// It knows nothing about OCPP beyond the upgrade: the caller decides, per upgrade request, whether
// to accept it and with which subprotocol, and receives each accepted connection as a Connection
// plus a ConnectionHandler it supplies. No actor framework here (docs/architecture.md: CAF only in actors/ and apps/).
//
// Threads: everything in this file runs on the io_context's threads. ConnectionHandler callbacks
// are called on the connection's strand, one at a time, and must not block. Connection methods may
// be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "protocol/mqtt_envelope.hpp"
#include "protocol/transport/address_handshakes.hpp"
#include "protocol/transport/connection_budget.hpp"

namespace evbroker::transport {

/// What the listener read from an HTTP upgrade request, for the caller's decision.
struct UpgradeRequest {
  std::string target;                     // the request target as sent, e.g. "/ws/CS001"
  std::string station_id;                 // the percent-decoded last path segment after "/ws/";
                                          // empty when the path is not /ws/<id> (see path_ok)
  bool path_ok = false;                   // target is exactly /ws/<non-empty id> (query ignored)
  std::vector<std::string> subprotocols;  // Sec-WebSocket-Protocol offers, in the client's order
  std::optional<std::string> username;    // from "Authorization: Basic ..." when present and valid
  std::optional<std::string> password;
  bool tls = false;            // arrived on the wss listener
  std::string remote_address;  // "ip:port"
  /// Subject CN of the verified TLS client certificate, when one was presented (wss only).
  std::optional<std::string> client_cert_cn;
  /// Header lookup for anything else (e.g. X-Forwarded-* behind a proxy). Empty when absent.
  std::function<std::string(std::string_view name)> header;
};

struct UpgradeDecision {
  bool accept = false;
  std::string subprotocol;  // when accepted: echoed in Sec-WebSocket-Protocol
  int http_status = 400;    // when refused: 400, 401, 403, 404, ...
  std::string reason;       // when refused: sent as the response body and logged by the caller
};

/// The server side of one open websocket. Thread-safe; methods after close are ignored.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Queues a text frame. Frames go out in the order queued; one async_write at a time.
  virtual void send_text(std::string text) = 0;
  /// Sends one OCPP-J message given as its parts (what the station actor sends). A websocket writes
  /// its frame; a station on another node of a cluster (RemoteConnection) publishes the parts as
  /// they are, with no frame text to build and parse back.
  virtual void send_message(ocpp::Envelope message) { send_text(ocpp::frame_of(message)); }
  /// Sends a close frame with `code` (1000 normal, 1008 policy, 1011 error, ...) and closes.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  /// Flow control: the listener stops reading from the socket while more than
  /// WsServerOptions::max_unconsumed frames were delivered by on_text and not yet consumed.
  virtual void consumed() = 0;
  virtual const std::string& station_id() const = 0;
  virtual const std::string& remote_address() const = 0;
  /// Frames queued by send_text and not yet written (for limits and metrics).
  virtual std::size_t pending_writes() const = 0;
};

/// The caller's side of one open websocket.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  /// A complete text message. (Binary messages are refused by closing with 1003.)
  virtual void on_text(std::string text) = 0;
  /// Called exactly once when the connection is gone (peer close, error, ping timeout, close()).
  virtual void on_closed(const std::string& reason) = 0;
};

struct WsServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9310;                       // 0 picks a free port (see WsServer::local_port)
  std::shared_ptr<boost::asio::ssl::context> tls;  // set: this listener speaks wss only
  std::size_t max_message_bytes = 256 * 1024;      // larger messages close the connection (1009)
  std::chrono::seconds handshake_timeout{10};      // TCP accept to upgrade done (incl. TLS)
  /// TCP accept to the first byte received (the TLS ClientHello or the HTTP request line). A
  /// socket that sends nothing in this time is closed (refused, 408) and frees its slots, so
  /// idle sockets cannot hold the handshake slots for the whole handshake_timeout. 0, or not
  /// shorter than handshake_timeout: only handshake_timeout applies.
  std::chrono::seconds first_bytes_timeout{3};
  std::chrono::seconds idle_ping_interval{60};  // ping after this long without traffic;
  // no pong (or any frame) within another idle_ping_interval closes the connection (dead socket)
  std::size_t max_pending_handshakes = 1024;  // admission control during storms
  /// Handshakes in progress per source address group (see address_group: IPv4 address, IPv6 /64).
  /// A socket beyond it is closed at once (refused, 503). 0 = unlimited (e.g. behind a
  /// TLS-terminating proxy, where every connection comes from the proxy).
  std::size_t max_handshakes_per_address = 32;
  /// Shared with the node's other station listener so the bound above holds across ws and wss;
  /// null: this listener counts on its own.
  std::shared_ptr<HandshakesByAddress> handshakes_by_address;
  /// The node's station-connection budget (open websockets + handshakes in progress), shared by
  /// its listeners. A socket accepted when it is full is closed at once (refused, 503,
  /// "at capacity: N station connections"). Null: unlimited.
  std::shared_ptr<ConnectionBudget> budget;
  std::size_t max_unconsumed = 8;         // see Connection::consumed
  std::size_t max_pending_writes = 1024;  // more queued frames close the connection (slow reader)
};

struct WsCallbacks {
  /// Decide on an upgrade. Runs on an I/O thread: must be quick and must not block.
  std::function<UpgradeDecision(const UpgradeRequest&)> decide;
  /// An accepted upgrade is now an open websocket; return the handler for its frames.
  std::function<std::shared_ptr<ConnectionHandler>(std::shared_ptr<Connection>, const UpgradeRequest&,
                                                   const std::string& subprotocol)>
      open;
  /// Optional: each refused upgrade or failed handshake, for logs and metrics. Every socket
  /// closed before its upgrade is reported here, also those closed at accept (budget full: 503
  /// "at capacity: ..."; per-address bound: 503 "too many handshakes in progress from <group>";
  /// max_pending_handshakes: 503 "too many pending handshakes"; only target is empty then) and
  /// those that sent nothing (408, first_bytes_timeout). When it runs, the socket's handshake
  /// slots are free again.
  std::function<void(const UpgradeRequest&, const UpgradeDecision&)> refused;
};

class WsServer {
 public:
  WsServer(boost::asio::io_context& io, WsServerOptions options, WsCallbacks callbacks);
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  /// Binds and starts accepting. Fails with the bind error (e.g. address in use).
  std::error_code listen();
  std::uint16_t local_port() const;
  /// Stops accepting new connections; open connections stay.
  void stop_accepting();
  /// Closes every open connection with `code` (used at shutdown).
  void close_all(std::uint16_t code, const std::string& reason);
  std::size_t open_connections() const;
  /// Accepted sockets whose handshake has not ended yet (bounded by max_pending_handshakes).
  std::size_t handshakes_in_progress() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace evbroker::transport
