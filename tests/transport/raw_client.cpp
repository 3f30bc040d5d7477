// The raw TCP/HTTP test client (see ws_client.hpp).
#include <array>
#include <functional>
#include <optional>

#include <boost/asio/steady_timer.hpp>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/transport/ws_client_impl.hpp"

namespace transport_test {

RawClient::RawClient() : stream_(runner_.io) {}
RawClient::~RawClient() = default;

beast::error_code RawClient::connect(std::uint16_t port, const std::string& source_address) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  if (!source_address.empty()) {
    if (auto ec = bind_source(stream_.socket(), source_address)) return ec;
  }
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

std::size_t RawClient::trickle(const std::string& bytes, std::chrono::milliseconds interval) {
  // A read stays pending throughout: it completes (EOF, reset) when the server closes.
  std::array<char, 256> sink{};
  std::optional<beast::error_code> closed;
  std::function<void()> read_next = [&] {
    stream_.socket().async_read_some(net::buffer(sink), [&](beast::error_code ec, std::size_t) {
      if (ec) {
        closed = ec;
      } else {
        read_next();  // an answer (e.g. an error response) is not the close yet
      }
    });
  };
  read_next();
  net::steady_timer pace(runner_.io);
  std::size_t sent = 0;
  bool paced = false;  // outside the loop: a wait cancelled at the end still writes to it
  while (sent < bytes.size() && !closed) {
    pace.expires_after(interval);
    paced = false;
    pace.async_wait([&](beast::error_code) { paced = true; });
    runner_.run_until([&] { return paced || closed.has_value(); });
    if (closed) break;
    if (!paced) break;  // deadline passed: give up (the caller checks how much went out)
    beast::error_code ec;
    net::write(stream_.socket(), net::buffer(&bytes[sent], 1), ec);
    if (ec) break;
    ++sent;
  }
  // Nothing may dangle: end the wait and the read before the locals they use go away.
  pace.cancel();
  if (!closed) {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }
  runner_.run_until([&] { return closed.has_value(); });
  runner_.io.restart();
  runner_.io.poll();
  return sent;
}

void RawClient::close() { stream_.close(); }

}  // namespace transport_test
