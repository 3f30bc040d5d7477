// The HttpClient (see http_client.hpp): one Call per request drives resolve -> connect (-> TLS) ->
// exchange on one strand, under one deadline timer; finished connections that may be kept alive go
// back to a per-host idle pool. Also instantiates the plain-TCP connection (the TLS one is in
// http_client_tls.cpp, so the two Beast instantiations compile in parallel).
#include "protocol/transport/http_client.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include "protocol/transport/http_client_connection.ipp"

namespace evbroker::transport {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using detail::ClientConnection;
using detail::ClientStrand;
using detail::ClientUrl;
using detail::ExchangeOutcome;
using net::ip::tcp;

namespace detail {
namespace {
struct PlainTraits {
  using stream_type = beast::tcp_stream;
  static void after_tcp_connect(stream_type&, const ClientUrl&,
                                const std::function<void(boost::system::error_code, std::string)>& done) {
    done({}, {});
  }
};
}  // namespace

std::shared_ptr<ClientConnection> make_plain_connection(ClientStrand strand) {
  return std::make_shared<StreamConnection<PlainTraits>>(strand);
}
}  // namespace detail

std::string HttpClientResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

namespace {

HttpClientResult failure(HttpClientError::Kind kind, std::string message) {
  return Unexpected(HttpClientError{kind, std::move(message)});
}

std::string endpoint_name(const ClientUrl& url) { return url.host_header.empty() ? url.host : url.host_header; }

/// The client's TLS settings; an error (e.g. an unreadable ca_file) fails every https request.
std::shared_ptr<ssl::context> make_tls_context(const HttpClientOptions& options, std::string& error) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (!options.ca_file.empty()) {
    context->load_verify_file(options.ca_file, ec);
    if (ec) error = "loading ca_file " + options.ca_file + ": " + ec.message();
  } else {
    context->set_default_verify_paths(ec);
    if (ec) error = "loading the system CA store: " + ec.message();
  }
  context->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return context;
}

}  // namespace

class HttpClientCall;

/// The client's shared state: options, TLS context, idle pool, calls in flight. HttpClient::Impl is
/// this under the header's private name (so the calls, outside the class, can name it).
struct ClientState : std::enable_shared_from_this<ClientState> {
  ClientState(net::io_context& io_context, HttpClientOptions client_options)
      : io(io_context), options(std::move(client_options)), tls(make_tls_context(options, tls_error)) {}

  /// mutex held. A kept-alive connection for `key`, most recently used first (likeliest alive).
  std::shared_ptr<ClientConnection> take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto connection = std::move(it->second.back());
    it->second.pop_back();
    if (it->second.empty()) idle.erase(it);
    return connection;
  }

  /// Called on the connection's strand after a complete keep-alive exchange.
  void give_back(const std::string& key, std::shared_ptr<ClientConnection> connection) {
    {
      std::lock_guard lock(mutex);
      auto& list = idle[key];
      if (!stopped && list.size() < options.max_idle_per_host) {
        list.push_back(connection);
        arm_idle_timer(key, connection);
        return;
      }
      if (list.empty()) idle.erase(key);
    }
    connection->close();
  }

  /// mutex held; on the connection's strand. Closes the connection if it is still idle by then.
  void arm_idle_timer(const std::string& key, const std::shared_ptr<ClientConnection>& connection) {
    connection->idle_timer().expires_after(options.idle_timeout);
    connection->idle_timer().async_wait(
        [weak_self = weak_from_this(), weak_connection = std::weak_ptr(connection), key](boost::system::error_code ec) {
          if (ec) return;  // cancelled: taken for a request, or stopped
          auto self = weak_self.lock();
          auto conn = weak_connection.lock();
          if (!self || !conn) return;
          if (self->remove_idle(key, conn)) conn->close();
        });
  }

  bool remove_idle(const std::string& key, const std::shared_ptr<ClientConnection>& connection) {
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    if (it == idle.end()) return false;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), connection);
    if (pos == list.end()) return false;
    list.erase(pos);
    if (list.empty()) idle.erase(it);
    return true;
  }

  net::io_context& io;
  const HttpClientOptions options;
  std::string tls_error;
  const std::shared_ptr<ssl::context> tls;

  std::mutex mutex;
  bool stopped = false;
  std::map<std::string, std::vector<std::shared_ptr<ClientConnection>>> idle;
  std::uint64_t next_call_id = 0;
  std::map<std::uint64_t, std::weak_ptr<HttpClientCall>> in_flight;
};

struct HttpClient::Impl : ClientState {
  using ClientState::ClientState;
};

/// One request, from resolve to callback. Every handler runs on `strand_`, which is also the strand
/// of the connection in use (a pooled connection lends its strand; a new one is made on ours).
class HttpClientCall : public std::enable_shared_from_this<HttpClientCall> {
 public:
  HttpClientCall(std::shared_ptr<ClientState> client, std::uint64_t id, ClientUrl url, HttpClientRequest request,
                 HttpClientCallback done, std::shared_ptr<ClientConnection> pooled)
      : client_(std::move(client)),
        id_(id),
        url_(std::move(url)),
        request_(std::move(request)),
        done_(std::move(done)),
        strand_(pooled ? pooled->strand() : net::make_strand(client_->io)),
        connection_(std::move(pooled)),
        reused_(connection_ != nullptr),
        deadline_(strand_),
        resolver_(strand_) {}

  // Posted, never run inline: request() may be called from a callback running on this very strand.
  void start() {
    net::post(strand_, [self = shared_from_this()] {
      self->deadline_.expires_after(self->request_.timeout);
      self->deadline_.async_wait([self](boost::system::error_code ec) {
        if (!ec) self->on_deadline();
      });
      if (self->connection_) {
        self->connection_->idle_timer().cancel();
        self->send();
      } else {
        self->resolve();
      }
    });
  }

  /// From stop(): fail now and close the connection.
  void abort() {
    net::post(strand_, [self = shared_from_this()] {
      self->finish(
          failure(HttpClientError::Kind::io, "request to " + endpoint_name(self->url_) + " aborted: client stopped"));
    });
  }

 private:
  void resolve() {
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type results) {
          if (self->finished_) return;
          if (ec) {
            self->finish(failure(HttpClientError::Kind::resolve, "resolve " + self->url_.host + ": " + ec.message()));
            return;
          }
          self->connect(results);
        });
  }

  void connect(const tcp::resolver::results_type& endpoints) {
    if (url_.tls) {
      if (!client_->tls_error.empty()) {
        finish(failure(HttpClientError::Kind::tls, client_->tls_error));
        return;
      }
      connection_ = detail::make_tls_connection(strand_, client_->tls);
    } else {
      connection_ = detail::make_plain_connection(strand_);
    }
    connection_->async_connect(
        endpoints, url_,
        [self = shared_from_this()](boost::system::error_code ec, ClientConnection::Stage stage, std::string detail) {
          if (self->finished_) return;
          if (!ec) {
            self->send();
            return;
          }
          const bool tls = stage == ClientConnection::Stage::tls;
          std::string message =
              (tls ? "TLS handshake with " : "connect to ") + endpoint_name(self->url_) + ": " + ec.message();
          if (!detail.empty()) message += " (" + detail + ")";
          self->finish(failure(tls ? HttpClientError::Kind::tls : HttpClientError::Kind::connect, std::move(message)));
        });
  }

  void send() {
    connection_->async_exchange(
        request_, url_, client_->options.max_body_bytes,
        [self = shared_from_this()](ExchangeOutcome outcome) { self->on_exchange(std::move(outcome)); });
  }

  void on_exchange(ExchangeOutcome outcome) {
    if (finished_) return;
    if (!outcome.ec) {
      auto connection = std::move(connection_);
      if (outcome.keep_alive) {
        client_->give_back(url_.pool_key(), connection);
      } else {
        connection->close();
      }
      finish(std::move(outcome.response));
      return;
    }
    // A kept-alive connection the peer closed while it was idle fails before any response byte:
    // the peer never saw the request, so one fresh connection is tried.
    const bool stale = reused_ && !retried_ && !outcome.too_large && !outcome.got_response_bytes;
    connection_->close();
    connection_.reset();
    if (stale) {
      retried_ = true;
      reused_ = false;
      resolve();
      return;
    }
    if (outcome.too_large) {
      finish(failure(HttpClientError::Kind::too_large, "response from " + endpoint_name(url_) + " exceeds " +
                                                           std::to_string(client_->options.max_body_bytes) + " bytes"));
      return;
    }
    finish(failure(HttpClientError::Kind::io, std::string(outcome.during_write ? "sending to " : "reading from ") +
                                                  endpoint_name(url_) + ": " + outcome.ec.message()));
  }

  void on_deadline() {
    if (finished_) return;
    finish(failure(HttpClientError::Kind::timeout, request_.method + " " + endpoint_name(url_) + url_.target +
                                                       ": no response within " +
                                                       std::to_string(request_.timeout.count()) + " ms"));
  }

  /// The one place the callback runs. Whatever is still pending completes later and is ignored.
  void finish(HttpClientResult result) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    if (connection_) {
      connection_->close();  // mid-exchange: the stream is in an unknown state, never reuse it
      connection_.reset();
    }
    {
      std::lock_guard lock(client_->mutex);
      client_->in_flight.erase(id_);
    }
    auto done = std::move(done_);
    done(std::move(result));
  }

  const std::shared_ptr<ClientState> client_;
  const std::uint64_t id_;
  const ClientUrl url_;
  const HttpClientRequest request_;
  HttpClientCallback done_;
  ClientStrand strand_;
  std::shared_ptr<ClientConnection> connection_;
  bool reused_;
  bool retried_ = false;
  bool finished_ = false;
  net::steady_timer deadline_;
  tcp::resolver resolver_;
};

HttpClient::HttpClient(net::io_context& io, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() { stop(); }

void HttpClient::request(HttpClientRequest request, HttpClientCallback done) {
  auto url = detail::parse_client_url(request.url);
  auto fail_later = [this, &done](HttpClientResult result) {
    net::post(impl_->io, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  };
  if (!url) {
    fail_later(failure(HttpClientError::Kind::bad_url, "bad URL \"" + request.url + "\": " + url.error()));
    return;
  }
  std::shared_ptr<HttpClientCall> call;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopped) {
      const std::uint64_t id = impl_->next_call_id++;
      auto pooled = impl_->take_idle(url->pool_key());
      call = std::make_shared<HttpClientCall>(impl_, id, *url, std::move(request), std::move(done), std::move(pooled));
      impl_->in_flight.emplace(id, call);
    }
  }
  if (!call) {
    fail_later(failure(HttpClientError::Kind::io, "request to " + url->host_header + " refused: client stopped"));
    return;
  }
  call->start();
}

void HttpClient::stop() {
  std::vector<std::shared_ptr<HttpClientCall>> calls;
  std::vector<std::shared_ptr<ClientConnection>> idle;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    for (auto& [id, weak] : impl_->in_flight) {
      if (auto call = weak.lock()) calls.push_back(std::move(call));
    }
    for (auto& [key, list] : impl_->idle) {
      for (auto& connection : list) idle.push_back(std::move(connection));
    }
    impl_->idle.clear();
  }
  for (auto& call : calls) call->abort();
  for (auto& connection : idle) {
    net::dispatch(connection->strand(), [connection] {
      connection->idle_timer().cancel();
      connection->close();
    });
  }
}

}  // namespace evbroker::transport
