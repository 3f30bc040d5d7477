#pragma once
// Private to protocol/transport: the websocket session's accept: the 101 response with the chosen
// subprotocol, the websocket timeouts, and handing the open connection to the caller.
// Included by one translation unit per stream type, which explicitly instantiates
// these members (see ws_session_*.cpp).

#include "protocol/transport/ws_session.hpp"

namespace evbroker::transport::detail {

template <class Traits>
void WsSession<Traits>::accept(std::string subprotocol) {
  subprotocol_ = std::move(subprotocol);
  ws_.set_option(websocket::stream_base::decorator([protocol = subprotocol_](websocket::response_type& res) {
    res.set(http::field::server, "evbroker");
    if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
  }));
  // From here on the websocket stream's own timers apply (Beast wants the TCP one off).
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = options().handshake_timeout;
  // Beast pings after idle_timeout/2 without traffic and gives up after idle_timeout: a ping
  // after one interval, a dead peer detected after at most two.
  if (options().idle_ping_interval.count() > 0) {
    timeouts.idle_timeout =
        2 * std::chrono::duration_cast<std::chrono::steady_clock::duration>(options().idle_ping_interval);
    timeouts.keep_alive_pings = true;
  } else {
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
  }
  ws_.set_option(timeouts);
  ws_.read_message_max(options().max_message_bytes);
  ws_.async_accept(*request_, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Traits>
void WsSession<Traits>::on_accept(beast::error_code ec) {
  end_handshake();
  if (ec) {
    // Beast has answered a malformed upgrade with its own 400 already.
    fail_handshake(ec == beast::error::timeout ? 408 : 400, "websocket handshake failed: " + ec.message());
    return;
  }
  phase_ = Phase::open;
  auto state = live_state();
  if (!state || !state->add(this->shared_from_this())) {
    request_close(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down");
    return;
  }
  try {
    if (config_->callbacks.open) handler_ = config_->callbacks.open(this->shared_from_this(), upgrade_, subprotocol_);
  } catch (...) {
    handler_.reset();
  }
  release_handshake_state();
  if (!handler_) {
    request_close(static_cast<std::uint16_t>(websocket::close_code::internal_error), "connection not taken");
    return;
  }
  do_read();
}

template <class Traits>
void WsSession<Traits>::release_handshake_state() {
  buffer_.clear();
  buffer_.shrink_to_fit();
  request_.reset();
  upgrade_.header = nullptr;  // it holds the request too
  upgrade_.username.reset();
  upgrade_.password.reset();
  upgrade_.subprotocols = {};
  upgrade_.target = {};
  subprotocol_ = {};
  refusal_bytes_ = {};
}

}  // namespace evbroker::transport::detail
