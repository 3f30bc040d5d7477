// The HTTP/1.1 server of the management API (Boost.Beast, plain HTTP).
//
// One session per connection, on its own strand; one request at a time:
//   idle (read header, idle_timeout) -> reading (body, request_timeout) -> waiting (handler has
//   the Responder) -> writing -> idle again (keep-alive) or closed.
// idle_timeout is one absolute deadline for the whole header: beast::tcp_stream arms each of
// async_read_header's reads with the expiry set before it, so a header sent byte by byte cannot
// stretch it. request_timeout runs from the request header to the response written.
// Connections are bounded (max_connections, http_connections.hpp): idle and reading count as
// waiting (evictable), waiting-for-the-handler and writing as busy. A Responder that is
// destroyed without being called answers 500; one that is never called (nor destroyed) is cut
// short by request_timeout with a 503. A late call of a stale Responder is ignored.
#include "protocol/transport/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "protocol/transport/http_connections.hpp"
#include "protocol/transport/listener.hpp"

namespace evbroker::transport {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;
/// After an error response, how long the unread rest of a request is drained before the socket
/// closes (closing with unread data would send a RST that can destroy the response in flight).
constexpr std::chrono::seconds kMaxLinger{5};
constexpr std::size_t kMaxLingerBytes = 4 * 1024 * 1024;
/// What the watch of a waiting request reads at most (a pipelined request's start).
constexpr std::size_t kWatchBytes = 4096;

std::string json_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf.data();
        } else {
          out += c;
        }
    }
  }
  return out;
}

HttpResponse error_response(int status, std::string_view error) {
  HttpResponse res;
  res.status = status;
  res.content_type = "application/json";
  const auto text = http::obsolete_reason(static_cast<http::status>(status));
  res.body = "{\"status\":\"" + json_escape(text) + "\",\"error\":\"" + json_escape(error) + "\"}";
  return res;
}

std::string lower(std::string_view in) {
  std::string out(in);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

class HttpSession;

struct HttpConfig {
  HttpServerOptions options;
  HttpHandler handler;
};

using detail::ConnectionTable;

class HttpSession final : public detail::TrackedConnection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<const HttpConfig> config, std::weak_ptr<ConnectionTable> state, tcp::socket socket,
              std::string remote_address)
      : config_(std::move(config)),
        state_(std::move(state)),
        stream_(std::move(socket)),
        strand_(stream_.get_executor()),
        request_timer_(strand_),
        remote_address_(std::move(remote_address)) {}

  void start() {
    net::dispatch(strand_, [self = shared_from_this()] { self->do_read(); });
  }

  /// The table gave our place to a newcomer (any thread).
  void evicted() override {
    net::post(strand_, [self = shared_from_this()] { self->close_now(); });
  }

  /// stop(): a connection waiting for its next request closes now; a busy one after its response.
  void close_if_idle() {
    net::post(strand_, [self = shared_from_this()] {
      if (self->phase_ == Phase::idle && !(self->parser_ && self->parser_->got_some())) self->close_now();
    });
  }

  /// From a Responder, any thread.
  void post_response(std::uint64_t seq, HttpResponse response) {
    net::post(strand_, [self = shared_from_this(), seq, response = std::move(response)]() mutable {
      self->write_response(seq, std::move(response), false);
    });
  }

 private:
  enum class Phase { idle, reading, waiting, writing, closed };

  /// Shared by the copies of one Responder: answers once; answers 500 when dropped unanswered.
  /// It holds the session weakly: while a request waits for its answer, the request timer keeps
  /// the session alive, and a Responder that outlives the io_context touches nothing.
  struct ResponderState {
    ResponderState(std::weak_ptr<HttpSession> s, std::uint64_t n) : session(std::move(s)), seq(n) {}
    ResponderState(const ResponderState&) = delete;
    ResponderState& operator=(const ResponderState&) = delete;
    ~ResponderState() {
      if (called.load(std::memory_order_acquire)) return;
      try {
        if (auto s = session.lock())
          s->post_response(seq, error_response(500, "the request was dropped without a response"));
      } catch (...) {  // NOLINT(bugprone-empty-catch): request_timeout still closes the connection
      }
    }
    void respond(HttpResponse response) {
      if (called.exchange(true, std::memory_order_acq_rel)) return;  // once
      if (auto s = session.lock()) s->post_response(seq, std::move(response));
    }
    std::weak_ptr<HttpSession> session;
    std::uint64_t seq;
    std::atomic<bool> called{false};
  };

  const HttpServerOptions& options() const { return config_->options; }

  /// The request without its body: method, target, path, query and the headers.
  static HttpRequest head_of(const http::request<http::string_body>& req) {
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    const auto query = request.target.find('?');
    request.path = request.target.substr(0, query);
    if (query != std::string::npos) request.query = request.target.substr(query + 1);
    request.headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
    for (const auto& field : req) request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    return request;
  }

  bool server_stopped() const {
    auto state = state_.lock();
    return !state || state->stopped();
  }

  void do_read() {
    if (server_stopped()) {
      close_now();
      return;
    }
    phase_ = Phase::idle;
    mark_waiting();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    body_limit_ = options().max_body_bytes;
    // With a per-request limit the header is read without one: Beast compares Content-Length with
    // the limit as the header completes, before the request's own limit is known (on_header).
    if (options().body_limit_for)
      parser_->body_limit(boost::none);
    else
      parser_->body_limit(body_limit_);
    stream_.expires_after(options().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    if (was_evicted()) {  // the close is on its way
      close_now();
      return;
    }
    phase_ = Phase::reading;
    deadline_ = std::chrono::steady_clock::now() + options().request_timeout;
    stream_.expires_at(deadline_);
    if (parser_->is_done()) {
      on_body({}, 0);
      return;
    }
    const auto& req = parser_->get();
    if (options().body_limit_for) {
      body_limit_ = options().body_limit_for(head_of(req));
      if (const auto length = parser_->content_length(); length && *length > body_limit_) {
        fail(413, "request body exceeds " + std::to_string(body_limit_) + " bytes");
        return;
      }
      parser_->body_limit(body_limit_);  // a chunked body is held to it as it arrives
    }
    if (auto expect = req.find(http::field::expect);
        expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      // The client waits for this before it sends the body.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) {
          self->close_now();
          return;
        }
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_body, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      fail(413, "request body exceeds " + std::to_string(body_limit_) + " bytes");
    } else if (ec == http::error::header_limit) {
      fail(431, "request header exceeds " + std::to_string(kHeaderLimit) + " bytes");
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      fail(400, "malformed HTTP request: " + ec.message());
    } else {
      close_now();  // peer gone, idle timeout, stop()
    }
  }

  void on_body(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    auto req = parser_->release();
    parser_.reset();
    if (!mark_busy()) {  // evicted while the request was read: it is not ours to answer any more
      close_now();
      return;
    }
    if (!state_.lock()) {  // the HttpServer is gone: its handler must not run any more
      keep_alive_ = false;
      version_ = req.version();
      head_ = false;
      send(error_response(503, "server shutting down"), true);
      return;
    }

    HttpRequest request = head_of(req);
    request.body = std::move(req.body());
    request.remote_address = remote_address_;
    watch_ = std::make_shared<RequestWatch>();
    request.watch = watch_;

    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == http::verb::head;
    phase_ = Phase::waiting;
    const std::uint64_t seq = ++seq_;

    request_timer_.expires_at(deadline_);
    request_timer_.async_wait([self = shared_from_this(), seq](beast::error_code wec) {
      if (wec == net::error::operation_aborted) return;
      if (self->watch_) self->watch_->abandon();  // the server gives up: so does the caller's work
      self->write_response(seq, error_response(503, "request timed out"), true);
    });
    watch_peer();

    auto responder_state = std::make_shared<ResponderState>(weak_from_this(), seq);
    Responder responder = [responder_state](HttpResponse response) { responder_state->respond(std::move(response)); };
    responder_state.reset();
    if (!config_->handler) {
      responder(error_response(500, "no request handler"));
      return;
    }
    try {
      config_->handler(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      write_response(seq, error_response(500, std::string("request handler failed: ") + e.what()), false);
    } catch (...) {
      write_response(seq, error_response(500, "request handler failed"), false);
    }
  }

  /// While a handler has the request, one read on the socket notices the client leaving (EOF or a
  /// reset). Bytes it reads instead (a pipelined next request) stay in buffer_ for the next parse,
  /// and the watch ends there.
  void watch_peer() {
    watching_ = true;
    // The request's deadline is request_timer_'s: were the stream's expiry left armed, it would
    // close the socket under the watch's read just before the 503 is written.
    stream_.expires_never();
    stream_.async_read_some(
        buffer_.prepare(kWatchBytes), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->watching_ = false;
          self->buffer_.commit(n);
          if (ec && ec != net::error::operation_aborted && self->phase_ == Phase::waiting && self->watch_)
            self->watch_->abandon();
          // The response was written meanwhile: what comes next waited for this read to end.
          const auto then = std::exchange(self->after_watch_, AfterWatch::nothing);
          if (then == AfterWatch::drain)
            self->drain();
          else if (then == AfterWatch::next_request) {
            if (ec && ec != net::error::operation_aborted)
              self->close_now();
            else
              self->do_read();
          }
        });
  }

  void write_response(std::uint64_t seq, HttpResponse response, bool close_after) {
    if (phase_ != Phase::waiting || seq != seq_) return;  // stale or duplicate
    request_timer_.cancel();
    send(std::move(response), close_after || !keep_alive_ || server_stopped());
  }

  /// After a response: the next request is read once the watch's read has ended (one read at a time).
  void next_request() {
    watch_.reset();
    if (!watching_) return do_read();
    after_watch_ = AfterWatch::next_request;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  void send(HttpResponse response, bool close_after) {
    if (!response.file_path.empty()) return send_file(std::move(response), close_after);
    phase_ = Phase::writing;
    auto res = std::make_shared<http::response<http::string_body>>();
    set_head(*res, response, close_after);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head_) res->body().clear();  // Content-Length stays that of the GET
    stream_.expires_after(options().request_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](beast::error_code ec, std::size_t) {
      self->after_write(ec, close_after);
    });
  }

  /// Status, version, the server's name, the content type, the handler's headers and keep-alive.
  template <class Body>
  void set_head(http::response<Body>& res, const HttpResponse& response, bool close_after) const {
    const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
    res.result(static_cast<unsigned>(status));
    res.version(version_);
    res.set(http::field::server, "evbroker");
    if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.insert(name, value);
    res.keep_alive(!close_after);
  }

  /// A response whose body is a file: Beast's file_body reads it in pieces as the socket takes them.
  void send_file(HttpResponse response, bool close_after) {
    beast::error_code ec;
    http::file_body::value_type file;
    file.open(response.file_path.c_str(), beast::file_mode::scan, ec);
    if (ec) return send(error_response(404, "no such file"), close_after);
    phase_ = Phase::writing;
    const auto size = file.size();
    if (head_) {  // HEAD: the GET's Content-Length, no body (a file_body would need the file open)
      auto head = std::make_shared<http::response<http::empty_body>>();
      set_head(*head, response, close_after);
      head->content_length(size);
      stream_.expires_after(options().request_timeout);
      http::async_write(stream_, *head,
                        [self = shared_from_this(), head, close_after](beast::error_code wec, std::size_t) {
                          self->after_write(wec, close_after);
                        });
      return;
    }
    auto res = std::make_shared<http::response<http::file_body>>();
    set_head(*res, response, close_after);
    res->body() = std::move(file);
    res->prepare_payload();
    stream_.expires_after(options().request_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](beast::error_code wec, std::size_t) {
      self->after_write(wec, close_after);
    });
  }

  void after_write(beast::error_code ec, bool close_after) {
    if (ec) {
      close_now();
    } else if (close_after) {
      linger_close();
    } else {
      next_request();
    }
  }

  /// An error before the request was read to its end: answer, then close (Connection: close).
  void fail(int status, std::string error) {
    parser_.reset();
    version_ = 11;
    head_ = false;
    send(error_response(status, error), true);
  }

  /// Half-closes, then reads and discards what the peer still sends, so the response is not lost
  /// to a RST; bounded in time and bytes.
  void linger_close() {
    phase_ = Phase::closed;
    mark_lingering();
    watch_.reset();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min<std::chrono::steady_clock::duration>(options().request_timeout, kMaxLinger));
    if (watching_) {  // one read at a time: the drain starts when the watch's read has ended
      after_watch_ = AfterWatch::drain;
      stream_.socket().cancel(ignored);
      return;
    }
    drain();
  }

  void drain() {
    drain_buffer_.consume(drain_buffer_.size());
    stream_.async_read_some(drain_buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxLingerBytes) {
                                self->close_now();
                                return;
                              }
                              self->drain();
                            });
  }

  void close_now() {
    phase_ = Phase::closed;
    request_timer_.cancel();
    stream_.close();
    if (auto state = state_.lock()) state->remove(this);
  }

  std::shared_ptr<const HttpConfig> config_;
  std::weak_ptr<ConnectionTable> state_;
  beast::tcp_stream stream_;
  const beast::tcp_stream::executor_type strand_;
  net::steady_timer request_timer_;
  const std::string remote_address_;

  Phase phase_ = Phase::idle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::size_t body_limit_ = 0;  // of the request being read
  std::chrono::steady_clock::time_point deadline_;
  std::uint64_t seq_ = 0;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool head_ = false;
  beast::flat_buffer drain_buffer_;
  std::size_t drained_ = 0;
  std::shared_ptr<RequestWatch> watch_;  // of the request a handler has now
  bool watching_ = false;                // watch_peer's read is pending
  enum class AfterWatch { nothing, next_request, drain };
  AfterWatch after_watch_ = AfterWatch::nothing;  // what waits for that read to end
};

}  // namespace

void RequestWatch::on_abandoned(std::function<void()> fn) {
  std::unique_lock lock(mutex_);
  if (abandoned_) {
    lock.unlock();
    fn();
    return;
  }
  fn_ = std::move(fn);
}

void RequestWatch::abandon() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mutex_);
    if (abandoned_) return;
    abandoned_ = true;
    fn = std::move(fn_);
  }
  if (fn) fn();
}

bool RequestWatch::abandoned() const {
  std::lock_guard lock(mutex_);
  return abandoned_;
}

struct HttpServer::Impl {
  std::shared_ptr<const HttpConfig> config;
  std::shared_ptr<ConnectionTable> state;
  std::shared_ptr<detail::Listener> listener;
};

HttpServer::HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_shared<Impl>()) {
  impl_->state = std::make_shared<ConnectionTable>(options.max_connections);
  impl_->config = std::make_shared<const HttpConfig>(HttpConfig{std::move(options), std::move(handler)});
  impl_->listener = std::make_shared<detail::Listener>(
      io, [config = impl_->config, weak_state = std::weak_ptr<ConnectionTable>(impl_->state)](tcp::socket socket) {
        auto state = weak_state.lock();
        if (!state || state->stopped()) return;
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::string remote = detail::remote_address_of(socket);
        auto session = std::make_shared<HttpSession>(config, state, std::move(socket), std::move(remote));
        // Refused: every place is busy; the socket closes with the session, unanswered (an
        // answer would cost a write to a peer that may never read it).
        if (state->admit(session) == ConnectionTable::Admit::admitted) session->start();
      });
}

HttpServer::~HttpServer() { stop(); }

std::error_code HttpServer::listen() {
  return impl_->listener->listen(impl_->config->options.address, impl_->config->options.port);
}

std::uint16_t HttpServer::local_port() const { return impl_->listener->port(); }

void HttpServer::stop() {
  impl_->listener->stop();
  for (const auto& session : impl_->state->stop_and_snapshot()) {
    static_cast<HttpSession&>(*session).close_if_idle();  // the table holds HttpSessions only
  }
}

HttpServerStats HttpServer::stats() const { return impl_->state->stats(); }

}  // namespace evbroker::transport
