#pragma once
// Private to protocol/transport: one websocket session, templated on how its TCP stream is
// wrapped (plain or TLS; ws_session_traits.hpp). Beast code is slow and memory-hungry to compile,
// so the member definitions live in three parts (ws_session_handshake.ipp: up to the decision;
// ws_session_accept.ipp: the websocket accept; ws_session_io.ipp: the open websocket), and the
// translation units ws_session_plain_{handshake,io}.cpp and ws_session_tls_{handshake,accept,io}.cpp
// each explicitly instantiate the members of the parts they include.
//
// Traits provide:
//   using next_layer_type = beast::tcp_stream | beast::ssl_stream<beast::tcp_stream>;
//   static constexpr bool tls;
//   and, when tls: async_handshake(next_layer&, handler), async_shutdown(next_layer&, handler),
//   peer_cn(next_layer&) -> std::optional<std::string>.
//
// Life of a session, all on its strand:
//   handshake: wait for the first byte (first_bytes_timeout) -> [TLS handshake] -> read the HTTP
//              request -> decide -> refuse (HTTP response, close)
//                                -> accept (101) -> open
//              (handshake_timeout bounds all of it, from the TCP accept)
//   open:      read loop (paused by flow control), write queue (one async_write at a time)
//   closing:   close() was asked: the write queue is flushed, then the close handshake runs
//   done:      on_closed was called (or there never was a handler); nothing else happens.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "protocol/transport/upgrade_parse.hpp"
#include "protocol/transport/ws_internal.hpp"

namespace evbroker::transport::detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;

/// Truncates `s` to at most `max` bytes without splitting a UTF-8 sequence.
inline std::string truncate_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u) --cut;
  s.resize(cut);
  return s;
}

template <class Traits>
class WsSession final : public Connection,
                        public HandshakingSession,
                        public std::enable_shared_from_this<WsSession<Traits>> {
 public:
  using next_layer_type = typename Traits::next_layer_type;
  using stream_type = websocket::stream<next_layer_type>;
  using executor_type = typename stream_type::executor_type;

  template <class... StreamArgs>
  WsSession(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state, std::string remote_address,
            Admission admission, StreamArgs&&... stream_args)
      : config_(std::move(config)),
        state_(std::move(state)),
        admission_(std::move(admission)),
        ws_(std::forward<StreamArgs>(stream_args)...),
        strand_(ws_.get_executor()),
        first_bytes_timer_(strand_),
        close_timer_(strand_),
        remote_address_(std::move(remote_address)) {
    upgrade_.remote_address = remote_address_;
    upgrade_.tls = Traits::tls;
  }

  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  ~WsSession() override {
    end_handshake();  // the io_context dropped us mid-handshake
    // Only reached with a handler when the io_context dropped our pending operations
    // (server and io_context destroyed while the connection was open).
    if (handler_) {
      auto handler = std::move(handler_);
      try {
        handler->on_closed(close_reason_.value_or("server shut down"));
      } catch (...) {  // NOLINT(bugprone-empty-catch): nothing sane to do in a destructor
      }
    }
  }

  /// Once shut down, the server takes no new session: this one is dropped with its socket.
  void start() {
    auto state = live_state();
    if (!state || !state->track_handshake(this, this->weak_from_this())) return;
    net::dispatch(strand_, [self = this->shared_from_this()] { self->begin(); });
  }

  // ---- HandshakingSession (any thread) --------------------------------------------------------
  void abort_handshake() override {
    net::post(strand_, [self = this->shared_from_this()] {
      if (self->phase_ != Phase::handshake) return;
      // Every pending operation completes with an error and takes the failure path.
      self->first_bytes_timer_.cancel();
      beast::get_lowest_layer(self->ws_).close();
    });
  }

  // ---- Connection (any thread) ----------------------------------------------------------------
  void send_text(std::string text) override {
    pending_writes_.fetch_add(1, std::memory_order_relaxed);
    net::post(strand_,
              [self = this->shared_from_this(), text = std::move(text)]() mutable { self->enqueue(std::move(text)); });
  }

  void close(std::uint16_t code, std::string reason) override {
    net::post(strand_, [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
      self->request_close(code, std::move(reason));
    });
  }

  void consumed() override {
    net::post(strand_, [self = this->shared_from_this()] {
      if (self->unconsumed_ > 0) --self->unconsumed_;
      self->do_read();
    });
  }

  const std::string& station_id() const override { return upgrade_.station_id; }
  const std::string& remote_address() const override { return remote_address_; }
  std::size_t pending_writes() const override { return pending_writes_.load(std::memory_order_relaxed); }

 private:
  enum class Phase { handshake, open, closing, done };

  const WsServerOptions& options() const { return config_->options; }

  /// The server state while the server still exists and is not shutting down.
  std::shared_ptr<WsServerState> live_state() const {
    auto state = state_.lock();
    if (state && state->shut_down()) return nullptr;
    return state;
  }

  // ---- handshake ------------------------------------------------------------------------------
  void begin();
  void on_first_bytes(beast::error_code ec);
  void on_first_bytes_deadline(beast::error_code ec);
  void start_handshake();
  void on_tls_handshake(beast::error_code ec);
  void read_request();
  void on_request(beast::error_code ec, std::size_t /*bytes*/);
  /// Fills upgrade_ from request_.
  void describe_request();
  /// Refused with an HTTP response, then the socket is closed.
  void refuse(UpgradeDecision decision);
  void close_after_refusal();
  /// The handshake failed before there was anything to answer: report and close.
  void fail_handshake(int status, std::string reason);
  void fail_quietly();
  void report_refused(const UpgradeDecision& decision);
  /// The handshake is over (whatever its outcome): its slots go back, the server forgets it.
  void end_handshake() {
    if (handshake_ended_) return;
    handshake_ended_ = true;
    admission_.end_handshake();
    if (auto state = state_.lock()) state->untrack_handshake(this);
  }
  void accept(std::string subprotocol);
  void on_accept(beast::error_code ec);
  /// Once the handler has the connection: frees what only the handshake needed (the request and
  /// its read buffer, the credentials), which an idle station would otherwise keep for as long as
  /// it stays connected. The station id and remote address stay.
  void release_handshake_state();

  // ---- reading --------------------------------------------------------------------------------
  std::size_t max_unconsumed() const { return std::max<std::size_t>(1, options().max_unconsumed); }
  void do_read();
  void on_read(beast::error_code ec, std::size_t /*bytes*/);
  std::string read_error_reason(beast::error_code ec) const;

  // ---- writing --------------------------------------------------------------------------------
  void enqueue(std::string text);
  void write_next();
  void on_write(beast::error_code ec, std::size_t /*bytes*/);

  // ---- closing --------------------------------------------------------------------------------
  void request_close(std::uint16_t code, std::string reason);
  void start_close_handshake();
  /// Tears the connection down now, without a close handshake.
  void abort(std::string reason);
  void finish(std::string reason);

  using request_type = http::request<http::empty_body>;
  static constexpr std::uint32_t kHeaderLimit = 16 * 1024;

  std::shared_ptr<const WsConfig> config_;
  std::weak_ptr<WsServerState> state_;
  Admission admission_;  // destroyed after ws_: the budget unit outlives the socket
  stream_type ws_;
  const executor_type strand_;
  net::steady_timer first_bytes_timer_;
  net::steady_timer close_timer_;
  const std::string remote_address_;

  // handshake
  bool awaiting_first_bytes_ = false;
  bool handshake_ended_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::shared_ptr<const request_type> request_;
  UpgradeRequest upgrade_;
  UpgradeDecision refusal_;
  std::string refusal_bytes_;
  std::string subprotocol_;

  // open
  Phase phase_ = Phase::handshake;
  std::shared_ptr<ConnectionHandler> handler_;
  beast::flat_buffer read_buffer_;
  bool reading_ = false;
  std::size_t unconsumed_ = 0;
  std::deque<std::string> queue_;
  bool writing_ = false;
  std::atomic<std::size_t> pending_writes_{0};

  // closing
  std::optional<std::string> close_reason_;  // what on_closed reports when we initiated
  std::uint16_t close_code_ = 1000;
  std::string close_text_;
  bool close_started_ = false;
};

}  // namespace evbroker::transport::detail
