// The raw TCP/HTTP test client (see ws_client.hpp).
#include <array>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/transport/ws_client_impl.hpp"

namespace transport_test {

RawClient::RawClient() : stream_(runner_.io) {}
RawClient::~RawClient() = default;

beast::error_code RawClient::connect(std::uint16_t port) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  return await_op(runner_, stream_, [&](auto handler) { stream_.async_connect(endpoint, handler); });
}

beast::error_code RawClient::write(const std::string& bytes) {
  return await_op(runner_, stream_, [&](auto handler) { net::async_write(stream_, net::buffer(bytes), handler); });
}

beast::error_code RawClient::write_request(http::request<http::string_body>& req) {
  return await_op(runner_, stream_, [&](auto handler) { http::async_write(stream_, req, handler); });
}

beast::error_code RawClient::read_response(http::response<http::string_body>& res) {
  return await_op(runner_, stream_, [&](auto handler) { http::async_read(stream_, buffer_, res, handler); });
}

beast::error_code RawClient::read_to_end(std::string& out) {
  for (;;) {
    std::array<char, 4096> chunk{};
    std::size_t n = 0;
    auto ec = await_op(runner_, stream_, [&](auto handler) {
      stream_.async_read_some(net::buffer(chunk), [&n, handler](beast::error_code e, std::size_t got) mutable {
        n = got;
        handler(e);
      });
    });
    out.append(chunk.data(), n);
    if (ec) return ec;
  }
}

void RawClient::close() { stream_.close(); }

}  // namespace transport_test
