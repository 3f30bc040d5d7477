// ws_echo: the transport ceiling for cs_swarm's heartbeat scenario. A bare Beast websocket server
// with the node's thread model (one io_context run by one I/O thread per core, each connection on
// its own strand) that answers every OCPP CALL at once with a canned, schema-valid CALLRESULT and
// does nothing else: no actors, no routing, no validation beyond reading the frame envelope, no
// storage. Whatever the node reaches below this figure, on the same machine with the same client,
// is the cost of being a CSMS rather than a socket.
//
//   build/bin/ws_echo [--addr 127.0.0.1:9320] [--threads N]
//
// Answers: Heartbeat {"currentTime"}, BootNotification {"currentTime","interval":300,
// "status":"Accepted"}, StatusNotification {} (the same shapes in OCPP 1.6 and 2.0.1), anything
// else CALLERROR NotImplemented. Upgrades must offer ocpp2.0.1 or ocpp1.6 (the node's rule); any
// path and any credentials are accepted. Prints "ws_echo listening on HOST:PORT" once bound;
// SIGINT/SIGTERM stop it (exit 0).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "protocol/date_time.hpp"
#include "protocol/frame.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

constexpr auto kUpgradeTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxMessageBytes = 256 * 1024;  // the node's default

std::string now_text() {
  char text[evbroker::ocpp::DateTime::kTextLength];
  evbroker::ocpp::DateTime{std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())}
      .format(text);
  return std::string(text, sizeof text);
}

/// The canned answer to one frame; empty for frames that are not CALLs (nothing is answered).
std::string answer(std::string_view text) {
  auto frame = evbroker::ocpp::parse_frame(text);
  if (!frame || frame->type != evbroker::ocpp::MessageType::call) return {};
  const auto& action = frame->action;
  if (action == "Heartbeat")
    return evbroker::ocpp::call_result_frame(frame->message_id, "{\"currentTime\":\"" + now_text() + "\"}");
  if (action == "BootNotification")
    return evbroker::ocpp::call_result_frame(
        frame->message_id, "{\"currentTime\":\"" + now_text() + "\",\"interval\":300,\"status\":\"Accepted\"}");
  if (action == "StatusNotification") return evbroker::ocpp::call_result_frame(frame->message_id, "{}");
  return evbroker::ocpp::call_error_frame(frame->message_id, "NotImplemented",
                                          "ws_echo answers only Heartbeat, BootNotification and StatusNotification");
}

/// The subprotocol we pick from the client's offer, node order of preference; empty: none we speak.
std::string choose_subprotocol(std::string_view offer) {
  for (std::string_view ours : {"ocpp2.0.1", "ocpp1.6"}) {
    std::size_t start = 0;
    while (start <= offer.size()) {
      auto comma = offer.find(',', start);
      auto token = offer.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      if (token == ours) return std::string(ours);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  return {};
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}

  void start() {
    stream_.expires_after(kUpgradeTimeout);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
  }

 private:
  void on_request(beast::error_code ec) {
    if (ec) return;
    const auto subprotocol = choose_subprotocol(request_[http::field::sec_websocket_protocol]);
    if (!websocket::is_upgrade(request_) || subprotocol.empty()) return refuse();
    stream_.expires_never();
    ws_.emplace(std::move(stream_));
    ws_->set_option(websocket::stream_base::decorator(
        [subprotocol](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, subprotocol); }));
    ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_->read_message_max(kMaxMessageBytes);
    ws_->auto_fragment(false);
    ws_->async_accept(request_, [self = shared_from_this()](beast::error_code e) {
      if (e) return;
      self->ws_->text(true);
      self->read();
    });
  }

  void refuse() {
    auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, request_.version());
    res->body() = "websocket upgrade with subprotocol ocpp2.0.1 or ocpp1.6 expected\n";
    res->prepare_payload();
    res->keep_alive(false);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  void read() {
    ws_->async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // closed: the session ends with its last handler
      const auto data = self->buffer_.cdata();
      auto reply = answer(std::string_view(static_cast<const char*>(data.data()), data.size()));
      self->buffer_.consume(self->buffer_.size());
      if (!reply.empty()) self->send(std::move(reply));
      self->read();
    });
  }

  void send(std::string frame) {
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) write();
  }

  void write() {
    ws_->async_write(net::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write();
    });
  }

  beast::tcp_stream stream_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::deque<std::string> queue_;
};

class Server {
 public:
  Server(net::io_context& io, const tcp::endpoint& at) : io_(io), acceptor_(io) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  tcp::endpoint local() const { return acceptor_.local_endpoint(); }

  void accept() {
    // Each connection gets its own strand, like the node's listener: handlers of one connection
    // never run concurrently, different connections spread over the I/O threads.
    acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket))->start();
      accept();
    });
  }

  void stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  net::io_context& io_;
  tcp::acceptor acceptor_;
};

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 9320;
  unsigned threads = 0;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: ws_echo [--addr HOST:PORT] [--threads N]\n"
               "  --addr     where to listen (default 127.0.0.1:9320; port 0 picks a free one)\n"
               "  --threads  I/O threads (default: one per core)\n");
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") usage(0);
    if (i + 1 >= argc) usage(1);
    std::string value = argv[++i];
    if (arg == "--addr") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) usage(1);
      o.host = value.substr(0, colon);
      o.port = static_cast<unsigned short>(std::strtoul(value.c_str() + colon + 1, nullptr, 10));
    } else if (arg == "--threads") {
      o.threads = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
    } else {
      usage(1);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const unsigned threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  net::io_context io{static_cast<int>(threads)};
  beast::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) {
    std::fprintf(stderr, "ws_echo: --addr: bad address %s\n", options.host.c_str());
    return 1;
  }
  std::optional<Server> server;
  try {
    server.emplace(io, tcp::endpoint(address, options.port));
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "ws_echo: cannot listen on %s:%u: %s\n", options.host.c_str(), options.port,
                 e.code().message().c_str());
    return 1;
  }
  server->accept();
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    server->stop();
    io.stop();
  });
  std::printf("ws_echo listening on %s:%u (%u threads)\n", options.host.c_str(), server->local().port(), threads);
  std::fflush(stdout);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
