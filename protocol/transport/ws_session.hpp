#pragma once
// Private to protocol/transport: one websocket session, templated on how its TCP stream is
// wrapped (plain or TLS). Each instantiation lives in its own translation unit
// (ws_session_plain.cpp, ws_session_tls.cpp): Beast code is slow to compile.
//
// Traits provide:
//   using next_layer_type = beast::tcp_stream | beast::ssl_stream<beast::tcp_stream>;
//   static constexpr bool tls;
//   and, when tls: async_handshake(next_layer&, handler), async_shutdown(next_layer&, handler),
//   peer_cn(next_layer&) -> std::optional<std::string>.
//
// Life of a session, all on its strand:
//   handshake: [TLS handshake] -> read the HTTP request -> decide -> refuse (HTTP response, close)
//                                                                 -> accept (101) -> open
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
class WsSession final : public Connection, public std::enable_shared_from_this<WsSession<Traits>> {
 public:
  using next_layer_type = typename Traits::next_layer_type;
  using stream_type = websocket::stream<next_layer_type>;
  using executor_type = typename stream_type::executor_type;

  template <class... StreamArgs>
  WsSession(std::shared_ptr<const WsConfig> config, std::weak_ptr<WsServerState> state, std::string remote_address,
            StreamArgs&&... stream_args)
      : config_(std::move(config)),
        state_(state),
        slot_(std::move(state)),
        ws_(std::forward<StreamArgs>(stream_args)...),
        strand_(ws_.get_executor()),
        close_timer_(strand_),
        remote_address_(std::move(remote_address)) {
    upgrade_.remote_address = remote_address_;
    upgrade_.tls = Traits::tls;
  }

  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  ~WsSession() override {
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

  void start() {
    net::dispatch(strand_, [self = this->shared_from_this()] { self->begin(); });
  }

  // ---- Connection (any thread) ----------------------------------------------------------------
  void send_text(std::string text) override {
    pending_writes_.fetch_add(1, std::memory_order_relaxed);
    net::post(strand_, [self = this->shared_from_this(), text = std::move(text)]() mutable {
      self->enqueue(std::move(text));
    });
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
  void begin() {
    beast::get_lowest_layer(ws_).expires_after(options().handshake_timeout);
    if constexpr (Traits::tls) {
      Traits::async_handshake(ws_.next_layer(), beast::bind_front_handler(&WsSession::on_tls_handshake,
                                                                          this->shared_from_this()));
    } else {
      read_request();
    }
  }

  void on_tls_handshake(beast::error_code ec) {
    if (ec) {
      fail_handshake(ec == beast::error::timeout ? 408 : 400, "TLS handshake failed: " + ec.message());
      return;
    }
    if constexpr (Traits::tls) upgrade_.client_cert_cn = Traits::peer_cn(ws_.next_layer());
    read_request();
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    http::async_read(ws_.next_layer(), buffer_, *parser_,
                     beast::bind_front_handler(&WsSession::on_request, this->shared_from_this()));
  }

  void on_request(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      if (ec == beast::error::timeout) {
        fail_handshake(408, "timed out waiting for the upgrade request");
      } else if (ec == http::error::end_of_stream || ec == net::error::eof ||
                 ec == net::error::connection_reset) {
        fail_handshake(400, "connection closed before the upgrade request");
      } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        refuse({false, {}, 400, "malformed HTTP request: " + ec.message()});
      } else {
        fail_handshake(400, "reading the upgrade request failed: " + ec.message());
      }
      return;
    }
    request_ = std::make_shared<const request_type>(parser_->release());
    parser_.reset();
    describe_request();

    if (!websocket::is_upgrade(*request_)) {
      refuse({false, {}, 426, "websocket upgrade required"});
      return;
    }
    auto state = live_state();
    if (!state) {
      fail_quietly();
      return;
    }
    UpgradeDecision decision;
    if (!config_->callbacks.decide) {
      decision = {false, {}, 503, "no upgrade policy configured"};
    } else {
      try {
        decision = config_->callbacks.decide(upgrade_);
      } catch (const std::exception& e) {
        decision = {false, {}, 500, std::string("upgrade decision failed: ") + e.what()};
      } catch (...) {
        decision = {false, {}, 500, "upgrade decision failed"};
      }
    }
    if (!decision.accept) {
      refuse(std::move(decision));
      return;
    }
    accept(std::move(decision.subprotocol));
  }

  /// Fills upgrade_ from request_.
  void describe_request() {
    const auto& req = *request_;
    upgrade_.target = std::string(req.target());
    if (auto id = parse_station_path(upgrade_.target)) {
      upgrade_.station_id = std::move(*id);
      upgrade_.path_ok = true;
    }
    const auto offers = req.equal_range(http::field::sec_websocket_protocol);
    for (auto it = offers.first; it != offers.second; ++it) append_subprotocols(it->value(), upgrade_.subprotocols);
    if (auto auth = req.find(http::field::authorization); auth != req.end()) {
      if (auto credentials = parse_basic_auth(auth->value())) {
        upgrade_.username = std::move(credentials->first);
        upgrade_.password = std::move(credentials->second);
      }
    }
    upgrade_.header = [request = request_](std::string_view name) -> std::string {
      auto it = request->find(name);
      return it == request->end() ? std::string{} : std::string(it->value());
    };
  }

  /// Refused with an HTTP response, then the socket is closed.
  void refuse(UpgradeDecision decision) {
    refusal_ = std::move(decision);
    if (refusal_.http_status < 400 || refusal_.http_status > 599) refusal_.http_status = 400;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(static_cast<unsigned>(refusal_.http_status));
    res->version(request_ ? request_->version() : 11);
    res->set(http::field::server, "evbroker");
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    if (refusal_.http_status == 426) res->set(http::field::upgrade, "websocket");
    res->keep_alive(false);
    res->body() = refusal_.reason + "\n";
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res,
                      [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
                        self->slot_.release();  // before the report: a reported refusal has freed its slot
                        self->report_refused(self->refusal_);
                        self->close_after_refusal();
                      });
  }

  void close_after_refusal() {
    if constexpr (Traits::tls) {
      Traits::async_shutdown(ws_.next_layer(), [self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
      });
    } else {
      beast::error_code ignored;
      auto& socket = beast::get_lowest_layer(ws_).socket();
      socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      socket.close(ignored);
    }
  }

  /// The handshake failed before there was anything to answer: report and close.
  void fail_handshake(int status, std::string reason) {
    slot_.release();  // before the report: a reported failure has freed its slot
    report_refused({false, {}, status, std::move(reason)});
    fail_quietly();
  }

  void fail_quietly() {
    slot_.release();
    phase_ = Phase::done;
    beast::get_lowest_layer(ws_).close();
  }

  void report_refused(const UpgradeDecision& decision) {
    auto state = live_state();
    if (!state || !config_->callbacks.refused) return;
    try {
      config_->callbacks.refused(upgrade_, decision);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a metrics hook must not break the listener
    }
  }

  void accept(std::string subprotocol) {
    subprotocol_ = std::move(subprotocol);
    ws_.set_option(websocket::stream_base::decorator([protocol = subprotocol_](websocket::response_type& res) {
      res.set(http::field::server, "evbroker");
      if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
    }));
    // From here on the websocket stream's own timers apply (Beast wants the TCP one off).
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options().handshake_timeout;
    // Beast pings after idle_timeout/2 without traffic and gives up after idle_timeout: a ping
    // after one interval, a dead peer detected after at most two.
    if (options().idle_ping_interval.count() > 0) {
      timeouts.idle_timeout = 2 * std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      options().idle_ping_interval);
      timeouts.keep_alive_pings = true;
    } else {
      timeouts.idle_timeout = websocket::stream_base::none();
      timeouts.keep_alive_pings = false;
    }
    ws_.set_option(timeouts);
    ws_.read_message_max(options().max_message_bytes);
    ws_.async_accept(*request_, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
  }

  void on_accept(beast::error_code ec) {
    slot_.release();
    if (ec) {
      // Beast has answered a malformed upgrade with its own 400 already.
      fail_handshake(ec == beast::error::timeout ? 408 : 400, "websocket handshake failed: " + ec.message());
      return;
    }
    phase_ = Phase::open;
    auto state = live_state();
    if (!state || !state->add(this->shared_from_this())) {
      request_close(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down");
      return;
    }
    try {
      if (config_->callbacks.open) handler_ = config_->callbacks.open(this->shared_from_this(), upgrade_, subprotocol_);
    } catch (...) {
      handler_.reset();
    }
    if (!handler_) {
      request_close(static_cast<std::uint16_t>(websocket::close_code::internal_error), "connection not taken");
      return;
    }
    do_read();
  }

  // ---- reading --------------------------------------------------------------------------------
  std::size_t max_unconsumed() const { return std::max<std::size_t>(1, options().max_unconsumed); }

  void do_read() {
    if (phase_ != Phase::open || reading_ || unconsumed_ >= max_unconsumed()) return;
    reading_ = true;
    ws_.async_read(read_buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    reading_ = false;
    if (ec) {
      finish(read_error_reason(ec));
      return;
    }
    if (phase_ != Phase::open) {  // closing: nothing more goes to the handler
      read_buffer_.clear();
      return;
    }
    if (!ws_.got_text()) {
      read_buffer_.clear();
      request_close(static_cast<std::uint16_t>(websocket::close_code::unknown_data),
                    "binary messages are not supported");
      return;
    }
    std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.clear();
    ++unconsumed_;
    try {
      handler_->on_text(std::move(text));
    } catch (...) {
      request_close(static_cast<std::uint16_t>(websocket::close_code::internal_error), "message handler failed");
      return;
    }
    do_read();
  }

  std::string read_error_reason(beast::error_code ec) const {
    if (close_reason_) return *close_reason_;
    if (ec == websocket::error::closed) {
      const auto& cr = ws_.reason();
      std::string text = "closed by peer (code " + std::to_string(cr.code);
      if (!cr.reason.empty()) {
        text += ": ";
        text.append(cr.reason.data(), cr.reason.size());
      }
      return text + ")";
    }
    if (ec == beast::error::timeout) return "ping timeout: peer unresponsive";
    if (ec == websocket::error::message_too_big) {
      return "message too big (limit " + std::to_string(options().max_message_bytes) + " bytes), closed with 1009";
    }
    return "read error: " + ec.message();
  }

  // ---- writing --------------------------------------------------------------------------------
  void enqueue(std::string text) {
    if (phase_ != Phase::open) {  // sends after close are ignored
      pending_writes_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(text));
    if (queue_.size() > options().max_pending_writes) {
      abort("slow reader: more than " + std::to_string(options().max_pending_writes) + " frames queued");
      return;
    }
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    queue_.pop_front();
    pending_writes_.fetch_sub(1, std::memory_order_relaxed);
    if (phase_ == Phase::done) return;
    if (ec) {
      abort("write error: " + ec.message());
      return;
    }
    if (!queue_.empty()) {
      write_next();
    } else if (phase_ == Phase::closing && !close_started_) {
      start_close_handshake();
    }
  }

  // ---- closing --------------------------------------------------------------------------------
  void request_close(std::uint16_t code, std::string reason) {
    if (phase_ != Phase::open) return;
    phase_ = Phase::closing;
    close_code_ = code;
    close_text_ = truncate_utf8(std::move(reason), 123);
    close_reason_ = "closed by server (code " + std::to_string(code) +
                    (close_text_.empty() ? std::string{} : ": " + close_text_) + ")";
    // Bound the whole close (flushing queued frames + close handshake).
    close_timer_.expires_after(options().handshake_timeout);
    close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec != net::error::operation_aborted && self->phase_ == Phase::closing) {
        self->abort(*self->close_reason_ + ", close handshake timed out");
      }
    });
    if (!writing_) start_close_handshake();
  }

  void start_close_handshake() {
    close_started_ = true;
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_text_),
                    [self = this->shared_from_this()](beast::error_code) { self->finish(*self->close_reason_); });
  }

  /// Tears the connection down now, without a close handshake.
  void abort(std::string reason) {
    if (phase_ == Phase::done) return;
    if (!close_reason_) close_reason_ = reason;
    beast::get_lowest_layer(ws_).close();
    finish(std::move(reason));
  }

  void finish(std::string reason) {
    if (phase_ == Phase::done) return;
    phase_ = Phase::done;
    if (!close_reason_) close_reason_ = reason;
    close_timer_.cancel();
    // The frame being written must outlive its async_write; drop the others.
    const std::size_t keep = writing_ ? 1 : 0;
    if (queue_.size() > keep) {
      pending_writes_.fetch_sub(queue_.size() - keep, std::memory_order_relaxed);
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(keep), queue_.end());
    }
    if (!close_started_) beast::get_lowest_layer(ws_).close();
    if (auto state = state_.lock()) state->remove(this);
    if (auto handler = std::move(handler_)) {
      try {
        handler->on_closed(reason);
      } catch (...) {  // NOLINT(bugprone-empty-catch): the connection is gone either way
      }
    }
  }

  using request_type = http::request<http::empty_body>;
  static constexpr std::uint32_t kHeaderLimit = 16 * 1024;

  std::shared_ptr<const WsConfig> config_;
  std::weak_ptr<WsServerState> state_;
  HandshakeSlot slot_;
  stream_type ws_;
  const executor_type strand_;
  net::steady_timer close_timer_;
  const std::string remote_address_;

  // handshake
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::shared_ptr<const request_type> request_;
  UpgradeRequest upgrade_;
  UpgradeDecision refusal_;
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
