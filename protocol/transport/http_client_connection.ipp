// Private to protocol/transport: the HttpClient's connection over one stream type. Included only by
// http_client.cpp (plain TCP) and http_client_tls.cpp (TLS), each with its own Traits:
//   using stream_type = ...;
//   static void after_tcp_connect(stream_type&, const ClientUrl&, std::function<void(error_code, std::string)>);

#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "protocol/transport/http_client_connection.hpp"

namespace evbroker::transport::detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;

/// Response headers above this are refused (Beast's default of 8 KiB is tight for some back ends).
inline constexpr std::uint32_t kClientHeaderLimit = 64 * 1024;

template <class Traits>
class StreamConnection final : public ClientConnection,
                               public std::enable_shared_from_this<StreamConnection<Traits>> {
 public:
  using Stream = typename Traits::stream_type;

  template <class... StreamArgs>
  explicit StreamConnection(ClientStrand strand, StreamArgs&&... stream_args)
      : ClientConnection(strand), stream_(strand, std::forward<StreamArgs>(stream_args)...) {}

  void async_connect(const boost::asio::ip::tcp::resolver::results_type& endpoints, const ClientUrl& url,
                     ConnectHandler done) override {
    beast::get_lowest_layer(stream_).async_connect(
        endpoints, [self = this->shared_from_this(), url, done = std::move(done)](
                       boost::system::error_code ec, const boost::asio::ip::tcp::endpoint&) mutable {
          if (ec) {
            done(ec, Stage::tcp, {});
            return;
          }
          Traits::after_tcp_connect(self->stream_, url,
                                    [self, done = std::move(done)](boost::system::error_code tls_ec, std::string detail) {
                                      done(tls_ec, Stage::tls, std::move(detail));
                                    });
        });
  }

  void async_exchange(const HttpClientRequest& request, const ClientUrl& url, std::size_t max_body,
                      ExchangeHandler done) override {
    request_ = {};
    request_.version(11);
    request_.method_string(request.method);
    request_.target(url.target);
    request_.set(http::field::host, url.host_header);
    for (const auto& [name, value] : request.headers) request_.insert(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      request_.body() = request.body;
      request_.prepare_payload();  // Content-Length, also 0 for an empty POST
    }
    head_request_ = request.method == "HEAD";
    http::async_write(stream_, request_,
                      [self = this->shared_from_this(), max_body, done = std::move(done)](
                          boost::system::error_code ec, std::size_t) mutable {
                        if (ec) {
                          ExchangeOutcome outcome;
                          outcome.ec = ec;
                          outcome.during_write = true;
                          done(std::move(outcome));
                          return;
                        }
                        self->read_response(max_body, std::move(done));
                      });
  }

  /// Keeps `owner` alive as long as this connection (the TLS context its stream was made from).
  void keep_alive_with(std::shared_ptr<void> owner) { owner_ = std::move(owner); }

  void close() override {
    boost::system::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

 private:
  void read_response(std::size_t max_body, ExchangeHandler done) {
    parser_.emplace();
    parser_->body_limit(max_body);
    parser_->header_limit(kClientHeaderLimit);
    if (head_request_) parser_->skip(true);  // a HEAD response has Content-Length but no body
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this(), done = std::move(done)](boost::system::error_code ec, std::size_t) {
                       done(self->outcome_of_read(ec));
                     });
  }

  ExchangeOutcome outcome_of_read(boost::system::error_code ec) {
    ExchangeOutcome outcome;
    outcome.ec = ec;
    outcome.got_response_bytes = parser_->got_some();
    outcome.too_large = ec == http::error::body_limit;
    if (ec) return outcome;
    auto message = parser_->release();
    outcome.keep_alive = message.keep_alive();
    outcome.response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      outcome.response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    outcome.response.body = std::move(message.body());
    return outcome;
  }

  std::shared_ptr<void> owner_;  // declared before stream_: destroyed after it
  Stream stream_;
  beast::flat_buffer buffer_;  // kept across requests: bytes read past one response belong to the next
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool head_request_ = false;
};

}  // namespace evbroker::transport::detail
