#pragma once
// An asynchronous HTTP/1.1 client (Boost.Beast) for the back ends the node calls: Hubject's Open
// Plug&Charge API, EST, OAuth2 token endpoints and OCSP responders. http:// and https:// (peer
// verified against the system store or a configured CA file, SNI + host name check), keep-alive
// connections reused per host, a deadline per request. Nothing here blocks the caller: the callback
// runs on an I/O thread, so actors post its result to themselves.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "protocol/expected.hpp"

namespace evbroker::transport {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;                                           // http(s)://host[:port]/path[?query]
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type etc.; Host is added
  std::string body;
  std::chrono::milliseconds timeout{10000};  // connect + send + receive, whole request
};

struct HttpClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(std::string_view name) const;  // first header named `name` (lower-case) or ""
};

struct HttpClientError {
  enum class Kind { bad_url, resolve, connect, tls, timeout, io, too_large } kind = Kind::io;
  std::string message;  // "connect to hubject.example:443: connection refused"
};

using HttpClientResult = Expected<HttpClientResponse, HttpClientError>;
using HttpClientCallback = std::function<void(HttpClientResult)>;

struct HttpClientOptions {
  std::string ca_file;      // PEM CAs for https peers; empty: the system's default store
  bool verify_peer = true;  // never off in production; tests use ca_file instead
  std::size_t max_idle_per_host = 8;
  std::chrono::seconds idle_timeout{30};  // an idle kept-alive connection is closed after this
  std::size_t max_body_bytes = 8 * 1024 * 1024;
};

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends the request; `done` is called exactly once (also after stop(), with an io error). Safe
  /// from any thread. A kept-alive connection the peer closed meanwhile is retried once on a new
  /// connection (only then; a timeout is never retried here: retry policy is the caller's).
  void request(HttpClientRequest request, HttpClientCallback done);
  /// Fails what is in flight and closes every connection.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace evbroker::transport
