#pragma once
// Private to protocol/transport: the websocket session from accepted socket to open websocket:
// TLS handshake, upgrade request, decision, refusal (the websocket accept is in
// ws_session_accept.ipp).
// Included by one translation unit per stream type, which explicitly instantiates
// these members (see ws_session_*.cpp).

#include "protocol/transport/ws_session.hpp"

namespace evbroker::transport::detail {

template <class Traits>
void WsSession<Traits>::begin() {
  // An absolute deadline: the stream's timer keeps it across every read of the TLS handshake and
  // of the request, so a peer trickling bytes cannot stretch it.
  beast::get_lowest_layer(ws_).expires_after(options().handshake_timeout);
  const auto first_bytes = options().first_bytes_timeout;
  if (first_bytes.count() <= 0 || first_bytes >= options().handshake_timeout) {
    start_handshake();
    return;
  }
  // Idle sockets are the cheapest attack on the handshake slots: wait for readability (which
  // consumes nothing, so the TLS layer still sees its ClientHello) under a short deadline.
  awaiting_first_bytes_ = true;
  first_bytes_timer_.expires_after(first_bytes);
  first_bytes_timer_.async_wait(
      beast::bind_front_handler(&WsSession::on_first_bytes_deadline, this->shared_from_this()));
  beast::get_lowest_layer(ws_).socket().async_wait(
      net::socket_base::wait_read, beast::bind_front_handler(&WsSession::on_first_bytes, this->shared_from_this()));
}

template <class Traits>
void WsSession<Traits>::on_first_bytes(beast::error_code ec) {
  if (!awaiting_first_bytes_) return;  // the deadline came first and has failed the handshake
  awaiting_first_bytes_ = false;
  first_bytes_timer_.cancel();
  if (ec) {
    fail_handshake(400, "connection closed before the upgrade request");
    return;
  }
  start_handshake();  // readable also at EOF: the reads that follow tell the two apart
}

template <class Traits>
void WsSession<Traits>::on_first_bytes_deadline(beast::error_code ec) {
  if (ec == net::error::operation_aborted || !awaiting_first_bytes_) return;
  awaiting_first_bytes_ = false;
  // Closing the socket completes the pending wait, which then finds nothing more to do.
  fail_handshake(408, "nothing received within " + std::to_string(options().first_bytes_timeout.count()) +
                          " s of connecting");
}

template <class Traits>
void WsSession<Traits>::start_handshake() {
  if constexpr (Traits::tls) {
    Traits::async_handshake(ws_.next_layer(),
                            beast::bind_front_handler(&WsSession::on_tls_handshake, this->shared_from_this()));
  } else {
    read_request();
  }
}

template <class Traits>
void WsSession<Traits>::on_tls_handshake(beast::error_code ec) {
  if (ec) {
    fail_handshake(ec == beast::error::timeout ? 408 : 400, "TLS handshake failed: " + ec.message());
    return;
  }
  if constexpr (Traits::tls) upgrade_.client_cert_cn = Traits::peer_cn(ws_.next_layer());
  read_request();
}

template <class Traits>
void WsSession<Traits>::read_request() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  http::async_read(ws_.next_layer(), buffer_, *parser_,
                   beast::bind_front_handler(&WsSession::on_request, this->shared_from_this()));
}

template <class Traits>
void WsSession<Traits>::on_request(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    if (ec == beast::error::timeout) {
      fail_handshake(408, "timed out waiting for the upgrade request");
    } else if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset) {
      fail_handshake(400, "connection closed before the upgrade request");
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      refuse({false, {}, 400, "malformed HTTP request: " + ec.message()});
    } else {
      fail_handshake(400, "reading the upgrade request failed: " + ec.message());
    }
    return;
  }
  request_ = std::make_shared<const request_type>(parser_->release());
  parser_.reset();
  describe_request();

  if (!websocket::is_upgrade(*request_)) {
    refuse({false, {}, 426, "websocket upgrade required"});
    return;
  }
  auto state = live_state();
  if (!state) {
    fail_quietly();
    return;
  }
  UpgradeDecision decision;
  if (!config_->callbacks.decide) {
    decision = {false, {}, 503, "no upgrade policy configured"};
  } else {
    try {
      decision = config_->callbacks.decide(upgrade_);
    } catch (const std::exception& e) {
      decision = {false, {}, 500, std::string("upgrade decision failed: ") + e.what()};
    } catch (...) {
      decision = {false, {}, 500, "upgrade decision failed"};
    }
  }
  if (!decision.accept) {
    refuse(std::move(decision));
    return;
  }
  accept(std::move(decision.subprotocol));
}

/// Fills upgrade_ from request_.
template <class Traits>
void WsSession<Traits>::describe_request() {
  const auto& req = *request_;
  upgrade_.target = std::string(req.target());
  if (auto id = parse_station_path(upgrade_.target)) {
    upgrade_.station_id = std::move(*id);
    upgrade_.path_ok = true;
  }
  const auto offers = req.equal_range(http::field::sec_websocket_protocol);
  for (auto it = offers.first; it != offers.second; ++it) append_subprotocols(it->value(), upgrade_.subprotocols);
  if (auto auth = req.find(http::field::authorization); auth != req.end()) {
    if (auto credentials = parse_basic_auth(auth->value())) {
      upgrade_.username = std::move(credentials->first);
      upgrade_.password = std::move(credentials->second);
    }
  }
  upgrade_.header = [request = request_](std::string_view name) -> std::string {
    auto it = request->find(name);
    return it == request->end() ? std::string{} : std::string(it->value());
  };
}

/// Refused with an HTTP response, then the socket is closed.
template <class Traits>
void WsSession<Traits>::refuse(UpgradeDecision decision) {
  refusal_ = std::move(decision);
  if (refusal_.http_status < 400 || refusal_.http_status > 599) refusal_.http_status = 400;
  // Serialized by hand: an http::async_write over the TLS stream would instantiate Beast's
  // serializer ops once more just for this (about a quarter of this file's compile time).
  refusal_bytes_ = refusal_response(refusal_.http_status, request_ ? request_->version() : 11, refusal_.reason);
  net::async_write(ws_.next_layer(), net::buffer(refusal_bytes_),
                   [self = this->shared_from_this()](beast::error_code, std::size_t) {
                     self->end_handshake();  // before the report: a reported refusal has freed its slots
                     self->report_refused(self->refusal_);
                     self->close_after_refusal();
                   });
}

template <class Traits>
void WsSession<Traits>::close_after_refusal() {
  if constexpr (Traits::tls) {
    Traits::async_shutdown(ws_.next_layer(), [self = this->shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      self->admission_.budget.release();
    });
  } else {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    admission_.budget.release();
  }
}

/// The handshake failed before there was anything to answer: report and close.
template <class Traits>
void WsSession<Traits>::fail_handshake(int status, std::string reason) {
  end_handshake();  // before the report: a reported failure has freed its slots
  report_refused({false, {}, status, std::move(reason)});
  fail_quietly();
}

template <class Traits>
void WsSession<Traits>::fail_quietly() {
  end_handshake();
  phase_ = Phase::done;
  first_bytes_timer_.cancel();
  beast::get_lowest_layer(ws_).close();
  admission_.budget.release();
}

template <class Traits>
void WsSession<Traits>::report_refused(const UpgradeDecision& decision) {
  auto state = live_state();
  if (!state || !config_->callbacks.refused) return;
  try {
    config_->callbacks.refused(upgrade_, decision);
  } catch (...) {  // NOLINT(bugprone-empty-catch): a metrics hook must not break the listener
  }
}

}  // namespace evbroker::transport::detail
