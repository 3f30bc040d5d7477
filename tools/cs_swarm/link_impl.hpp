#pragma once
// The websocket client behind Link, for a plain (beast::tcp_stream) or TLS
// (beast::ssl_stream<beast::tcp_stream>) transport. Included only by link_plain.cpp and
// link_tls.cpp, each instantiating one stream type.

#include <netinet/in.h>
#include <sys/socket.h>

#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "tools/cs_swarm/link.hpp"

namespace evbroker::swarm::detail {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

/// Frames larger than this end the connection: no OCPP answer comes near it.
inline constexpr std::size_t kMaxMessageBytes = 1024 * 1024;
/// A polite close may take this long before the socket is simply dropped.
inline constexpr std::chrono::seconds kCloseTimeout{2};

template <class NextLayer>
class WsLink final : public Link, public std::enable_shared_from_this<WsLink<NextLayer>> {
 public:
  static constexpr bool kTls = !std::is_same_v<NextLayer, beast::tcp_stream>;

  template <class... Args>
  explicit WsLink(LinkEvents& events, Args&&... next_layer_args)
      : events_(&events), ws_(std::forward<Args>(next_layer_args)...) {}

  void open(const ConnectTarget& target, const ConnectRequest& request) override {
    target_ = &target;
    subprotocol_ = request.subprotocol;
    tls_session_ = request.tls_session;
    auto& tcp = beast::get_lowest_layer(ws_);
    boost::system::error_code ec;
    tcp.socket().open(target.server.protocol(), ec);
    if (!ec && request.source) {
      // Let connect() pick the port, so one source address serves every destination's full port
      // range instead of reserving a port at bind time (Linux IP_BIND_ADDRESS_NO_PORT).
      int on = 1;
      ::setsockopt(tcp.socket().native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
      tcp.socket().bind(boost::asio::ip::tcp::endpoint(*request.source, 0), ec);
    }
    if (ec) return post_failure("socket: " + ec.message());

    ws_.set_option(websocket::stream_base::decorator(
        [protocol = request.subprotocol, auth = request.authorization](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, "cs_swarm");
          req.set(beast::http::field::sec_websocket_protocol, protocol);
          if (!auth.empty()) req.set(beast::http::field::authorization, auth);
        }));
    ws_.read_message_max(kMaxMessageBytes);
    ws_.auto_fragment(false);
    target_path_ = target.path + "/" + request.station_id;
    // One deadline covers TCP connect, TLS and the upgrade.
    tcp.expires_after(target.connect_timeout);
    tcp.async_connect(target.server,
                      [self = this->shared_from_this()](const boost::system::error_code& e) { self->on_connected(e); });
  }

  void send(std::string text) override {
    if (closing_) return;
    queue_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    events_ = nullptr;
    if (!open_) return abort_socket();
    if (writing_) {
      close_after_write_ = true;  // Beast allows one write-side operation at a time
      return;
    }
    queue_.clear();
    start_close();
  }

  void abort() override {
    closing_ = true;
    events_ = nullptr;
    abort_socket();
  }

  void detach() override { events_ = nullptr; }

  bool tls_resumed() override {
    if constexpr (kTls)
      return SSL_session_reused(ws_.next_layer().native_handle()) == 1;
    else
      return false;
  }

 private:
  void post_failure(std::string kind) {
    closing_ = true;
    boost::asio::post(ws_.get_executor(), [self = this->shared_from_this(), kind = std::move(kind)] {
      if (self->events_) std::exchange(self->events_, nullptr)->on_open_failed(kind);
    });
  }

  void fail_open(const char* stage, const boost::system::error_code& ec) {
    closing_ = true;
    abort_socket();
    std::string kind = stage;
    kind += ": ";
    kind += ec == beast::error::timeout ? std::string("timeout") : ec.message();
    if (events_) std::exchange(events_, nullptr)->on_open_failed(kind);
  }

  void on_connected(const boost::system::error_code& ec) {
    if (ec) return fail_open("tcp", ec);
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      // SNI; SSL_set_tlsext_host_name is a macro with a C cast, so call what it expands to.
      if (SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(target_->tls_host.c_str())) != 1)
        return fail_open("tls", boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                          boost::asio::error::get_ssl_category()));
      if (target_->verify_host) tls.set_verify_callback(boost::asio::ssl::host_name_verification(target_->tls_host));
      if (tls_session_) {
        // Offer the last session (a failed offer is a full handshake, not an error).
        attach_session_slot(tls.native_handle(), tls_session_.get());
        if (auto* last = tls_session_->session()) SSL_set_session(tls.native_handle(), last);
      }
      tls.async_handshake(boost::asio::ssl::stream_base::client,
                          [self = this->shared_from_this()](const boost::system::error_code& e) {
                            if (e) return self->fail_open("tls", e);
                            self->upgrade();
                          });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    ws_.async_handshake(
        response_, target_->host_header, target_path_,
        [self = this->shared_from_this()](const boost::system::error_code& e) { self->on_upgraded(e); });
  }

  void on_upgraded(const boost::system::error_code& ec) {
    if (ec == websocket::error::upgrade_declined) {
      closing_ = true;
      abort_socket();
      if (events_)
        std::exchange(events_, nullptr)->on_open_failed("upgrade: http " + std::to_string(response_.result_int()));
      return;
    }
    if (ec) return fail_open("upgrade", ec);
    // Beast does not check the subprotocol: a server that ignores our offer speaks something else.
    if (response_[beast::http::field::sec_websocket_protocol] != subprotocol_) {
      closing_ = true;
      abort_socket();
      if (events_) std::exchange(events_, nullptr)->on_open_failed("upgrade: subprotocol not accepted");
      return;
    }
    response_ = {};
    beast::get_lowest_layer(ws_).expires_never();  // call timeouts are the station's business
    ws_.text(true);
    open_ = true;
    if (events_) events_->on_open();
    if (!closing_) read_next();
  }

  void read_next() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(const boost::system::error_code& ec) {
    if (ec) return lost(ec);
    const auto data = buffer_.cdata();
    if (events_) events_->on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    if (!closing_) read_next();
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(
        boost::asio::buffer(queue_.front()),
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(const boost::system::error_code& ec) {
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (ec) {
      if (closing_) return abort_socket();
      return lost(ec);
    }
    if (close_after_write_) {
      queue_.clear();
      return start_close();
    }
    if (!queue_.empty() && !closing_) write_next();
  }

  void start_close() {
    close_after_write_ = false;
    websocket::stream_base::timeout limits{};
    limits.handshake_timeout = kCloseTimeout;  // also bounds the close handshake
    limits.idle_timeout = websocket::stream_base::none();
    limits.keep_alive_pings = false;
    ws_.set_option(limits);
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](const boost::system::error_code&) { self->abort_socket(); });
  }

  /// The connection ended without us asking (while closing, the close handler cleans up).
  void lost(const boost::system::error_code& ec) {
    if (closing_) return;
    closing_ = true;
    abort_socket();
    std::string kind;
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      kind = "close frame " + std::to_string(static_cast<unsigned>(reason.code));
    } else {
      kind = ec == beast::error::timeout ? std::string("timeout") : ec.message();
    }
    if (events_) std::exchange(events_, nullptr)->on_closed(kind);
  }

  void abort_socket() {
    boost::system::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    if (socket.is_open()) {
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    }
  }

  LinkEvents* events_;
  websocket::stream<NextLayer> ws_;
  const ConnectTarget* target_ = nullptr;
  std::string subprotocol_;
  std::shared_ptr<TlsSessionSlot> tls_session_;  // wss: where this station's tickets go
  std::string target_path_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool open_ = false;
  bool closing_ = false;
  bool close_after_write_ = false;
};

}  // namespace evbroker::swarm::detail
