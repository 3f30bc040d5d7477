#pragma once
// Member definitions of the test clients (ws_client.hpp); included by ws_client_plain.cpp and
// ws_client_tls.cpp only.

#include <array>

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "tests/transport/ws_client.hpp"

namespace transport_test {

/// The completion handler of every test-client operation: one type for all, so that each Beast
/// operation is instantiated once (the instantiations are what makes Beast slow to compile).
struct Completion {
  std::optional<beast::error_code>* result;
  void operator()(beast::error_code ec, std::size_t /*bytes*/ = 0) const { *result = ec; }
};

/// Drives one async operation to completion; on timeout the socket is closed first so the
/// operation completes (with an error) before this returns: nothing dangles.
template <class Stream, class Init>
beast::error_code await_op(Runner& runner, Stream& stream, Init&& init,
                           std::chrono::steady_clock::duration within = kDeadline) {
  std::optional<beast::error_code> result;
  init(Completion{&result});
  if (!runner.run_until([&] { return result.has_value(); }, within)) {
    beast::get_lowest_layer(stream).close();
    runner.run_until([&] { return result.has_value(); });
    return beast::error::timeout;
  }
  return *result;
}

/// Opens `socket` and binds it to `address` (port chosen by the system), for a chosen source.
inline beast::error_code bind_source(tcp::socket& socket, const std::string& address) {
  beast::error_code ec;
  const auto ip = net::ip::make_address(address, ec);
  if (ec) return ec;
  socket.open(ip.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec) socket.bind(tcp::endpoint(ip, 0), ec);
  return ec;
}

template <class NextLayer>
websocket::stream<NextLayer> make_ws_stream(net::io_context& io, net::ssl::context* ctx) {
  if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
    return websocket::stream<NextLayer>(io);
  } else {
    return websocket::stream<NextLayer>(io, *ctx);
  }
}

template <class NextLayer>
BasicWsClient<NextLayer>::BasicWsClient(net::ssl::context* ctx) : ws_(make_ws_stream<NextLayer>(runner_.io, ctx)) {}

// Not "= default": g++ 12 rejects the explicit instantiation of a destructor defaulted out of line.
template <class NextLayer>
BasicWsClient<NextLayer>::~BasicWsClient() {}  // NOLINT(modernize-use-equals-default)

template <class NextLayer>
beast::error_code BasicWsClient<NextLayer>::connect(std::uint16_t port, const HandshakeOptions& options,
                                                    websocket::response_type* response) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  if (!options.source_address.empty()) {
    if (auto ec = bind_source(beast::get_lowest_layer(ws_).socket(), options.source_address)) return ec;
  }
  auto ec =
      await_op(runner_, ws_, [&](auto handler) { beast::get_lowest_layer(ws_).async_connect(endpoint, handler); });
  if (ec) return ec;
  if constexpr (tls) {
    ec = await_op(runner_, ws_,
                  [&](auto handler) { ws_.next_layer().async_handshake(net::ssl::stream_base::client, handler); });
    if (ec) return ec;
  }
  ws_.set_option(websocket::stream_base::decorator([options](websocket::request_type& req) {
    for (const auto& offer : options.subprotocol_headers) req.insert(http::field::sec_websocket_protocol, offer);
    if (options.authorization) req.set(http::field::authorization, *options.authorization);
    for (const auto& [name, value] : options.extra_headers) req.set(name, value);
  }));
  websocket::response_type local;
  websocket::response_type& res = response != nullptr ? *response : local;
  return await_op(runner_, ws_, [&](auto handler) { ws_.async_handshake(res, "127.0.0.1", options.target, handler); });
}

template <class NextLayer>
beast::error_code BasicWsClient<NextLayer>::write(const std::string& text, bool binary) {
  ws_.binary(binary);
  return await_op(runner_, ws_, [&](auto handler) { ws_.async_write(net::buffer(text), handler); });
}

template <class NextLayer>
beast::error_code BasicWsClient<NextLayer>::read(std::string& out, std::chrono::steady_clock::duration within) {
  beast::flat_buffer buffer;
  auto ec = await_op(
      runner_, ws_, [&](auto handler) { ws_.async_read(buffer, handler); }, within);
  out = beast::buffers_to_string(buffer.data());
  return ec;
}

template <class NextLayer>
beast::error_code BasicWsClient<NextLayer>::read_until_closed() {
  for (;;) {
    std::string ignored;
    if (auto ec = read(ignored)) return ec;
  }
}

template <class NextLayer>
beast::error_code BasicWsClient<NextLayer>::close(std::uint16_t code, const std::string& reason) {
  return await_op(runner_, ws_, [&](auto handler) {
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), handler);
  });
}

template <class NextLayer>
bool BasicWsClient<NextLayer>::pump_for(std::chrono::steady_clock::duration within) {
  if (!pumping_) {
    pumping_ = true;
    pump_result_.reset();
    ws_.async_read(pump_buffer_, Completion{&pump_result_});
  }
  const bool done = runner_.run_until([&] { return pump_result_.has_value(); }, within);
  if (done) pumping_ = false;
  return done;
}

template <class NextLayer>
void BasicWsClient<NextLayer>::drop() {
  beast::get_lowest_layer(ws_).close();
}

template <class NextLayer>
const websocket::close_reason& BasicWsClient<NextLayer>::close_reason() const {
  return ws_.reason();
}

}  // namespace transport_test
