#pragma once
// A small HTTP/1.1 server (Boost.Beast) for the management API: keep-alive, bounded bodies,
// one request at a time per connection. Routing is the caller's: every request goes to one
// handler, which answers through a Responder, now or later, from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace evbroker::transport {

/// Lets a handler learn that the client gave up on its request before the answer was written: it
/// closed the connection (or reset it) while the handler had the request. A handler that started
/// work on the client's behalf (a call queued for a station) withdraws it then. Thread-safe.
class RequestWatch {
 public:
  /// `fn` runs once, on an I/O thread, when the client goes away; at once (on the calling thread)
  /// when it already has. Only the last one registered runs.
  void on_abandoned(std::function<void()> fn);
  /// Called by the server.
  void abandon();
  bool abandoned() const;

 private:
  mutable std::mutex mutex_;
  bool abandoned_ = false;
  std::function<void()> fn_;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent, e.g. "/api/v0/token?offset=0&limit=10"
  std::string path;    // target without the query, percent-decoded per segment is the caller's job
  std::string query;   // after '?', raw ("" when none)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  /// Set by the server: whether (and when) the client gives up on this request.
  std::shared_ptr<RequestWatch> watch;
  /// First header named `name` (lower-case), or "".
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  /// Set: the body is this file's content, streamed from disk as it is written (firmware images,
  /// uploaded logs: never read into memory whole); `body` is ignored. A file that cannot be opened
  /// is answered 404.
  std::string file_path;
};

/// Answers one request. Call it exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9410;                 // 0 picks a free port
  std::size_t max_body_bytes = 1024 * 1024;  // larger: 413
  /// Set: the body limit of one request, decided from its header (method, path, headers) before
  /// the body is read; e.g. larger for an authorised file upload. Unset: max_body_bytes.
  std::function<std::size_t(const HttpRequest& head)> body_limit_for;
  /// From connection accepted, or response written, to the request header complete: a
  /// keep-alive connection without a request, or a header trickling in (slowloris), is closed
  /// then. One deadline for the whole header, not per read.
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds request_timeout{120};  // request header read to response written
  /// Open connections at most (0 = unbounded). At the limit, a new connection takes the place of
  /// the one that has waited longest without a request being handled (idle keep-alive, still
  /// sending its request); when every connection is busy (a handler has its request), the new
  /// one is closed at once.
  std::size_t max_connections = 128;
};

/// For the node's metrics.
struct HttpServerStats {
  std::size_t open_connections = 0;  // now
  std::uint64_t accepted = 0;        // connections taken since the server was made
  std::uint64_t evictions = 0;       // waiting connections closed to make room for a new one
  std::uint64_t refusals = 0;        // new connections closed at once: every place was busy
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::error_code listen();
  std::uint16_t local_port() const;
  void stop();  // stop accepting and close idle connections
  /// Thread-safe.
  HttpServerStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Decodes %XX escapes (and nothing else). Returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);
/// Splits a query string into decoded key/value pairs ("a=1&b" -> {a,1},{b,""}).
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace evbroker::transport
