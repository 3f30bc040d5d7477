#pragma once
// One websocket connection of a simulated station (a "link"), plain or TLS, with Beast. The station
// sees only this interface; the two implementations are the same template instantiated in
// link_plain.cpp and link_tls.cpp (kept apart because Beast TUs are slow to compile).
//
// Threads: a link lives on one io_context run by one thread, like its station, so nothing here
// locks. A link is used once: the station makes a new one for every connection attempt and
// detaches the old one, whose late completions are then dropped.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace evbroker::swarm {

/// What the link reports to its station.
class LinkEvents {
 public:
  virtual void on_open() = 0;
  /// The attempt failed; `kind` is short and stable ("connection refused", "http 401", ...).
  virtual void on_open_failed(const std::string& kind) = 0;
  /// A complete text message; the view is valid during the call only.
  virtual void on_text(std::string_view text) = 0;
  /// An open connection ended (not called after close() from the station).
  virtual void on_closed(const std::string& kind) = 0;

 protected:
  ~LinkEvents() = default;
};

/// Where and how to connect; shared by every station of a run.
struct ConnectTarget {
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;  // Host: and TLS SNI
  std::string tls_host;     // the name checked against the server certificate (with --ca)
  std::string path;         // "/ws"; the station id is appended
  std::chrono::milliseconds connect_timeout{10'000};
  std::shared_ptr<boost::asio::ssl::context> tls;  // set: wss
  bool verify_host = false;
};

/// The TLS session a station offers on its next connection: the newest ticket the server gave it
/// (wss with resumption, the default). One per station, used by one link at a time.
class TlsSessionSlot {
 public:
  TlsSessionSlot() = default;
  TlsSessionSlot(const TlsSessionSlot&) = delete;
  TlsSessionSlot& operator=(const TlsSessionSlot&) = delete;
  ~TlsSessionSlot();
  /// Takes over `session` (one reference), dropping the one held before.
  void keep(SSL_SESSION* session);
  SSL_SESSION* session() const { return session_; }

 private:
  SSL_SESSION* session_ = nullptr;
};

/// What differs per station and attempt.
struct ConnectRequest {
  std::string station_id;
  std::string subprotocol;                         // offered and required in the answer
  std::string authorization;                       // "Basic ..." or empty
  std::optional<boost::asio::ip::address> source;  // bind to this local address first
  std::shared_ptr<TlsSessionSlot> tls_session;     // wss: resume from it and keep the new ticket there
};

class Link {
 public:
  virtual ~Link() = default;
  /// TCP connect, TLS handshake (wss), websocket upgrade; then on_open or on_open_failed.
  virtual void open(const ConnectTarget& target, const ConnectRequest& request) = 0;
  /// Queues a text frame; frames go out in order, one write at a time.
  virtual void send(std::string text) = 0;
  /// Polite close (close frame), bounded by a short timeout; no event follows.
  virtual void close() = 0;
  /// Drops the TCP connection at once, as a power cut or a network loss would; no event follows.
  virtual void abort() = 0;
  /// Stops reporting to the station (the station is done with this link).
  virtual void detach() = 0;
  /// After on_open: whether the TLS handshake resumed an earlier session (false for ws).
  virtual bool tls_resumed() = 0;
};

std::shared_ptr<Link> make_plain_link(boost::asio::io_context& io, LinkEvents& events);
std::shared_ptr<Link> make_tls_link(boost::asio::io_context& io, boost::asio::ssl::context& tls, LinkEvents& events);

/// The client TLS context for --tls: verification against --ca, client certificate for profile 3,
/// and the tickets the server sends kept in each link's TlsSessionSlot when `resume`. Throws
/// std::runtime_error with a readable message when a file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   const std::string& client_cert,
                                                                   const std::string& client_key, bool resume);

/// Lets the tickets of `ssl`'s connection land in `slot` (see make_client_tls_context).
void attach_session_slot(SSL* ssl, TlsSessionSlot* slot);

}  // namespace evbroker::swarm
