#pragma once
// Private to protocol/transport: the open websocket session: read loop with flow control,
// write queue, close handshake, teardown and on_closed.
// Included by one translation unit per stream type, which explicitly instantiates
// these members (see ws_session_*.cpp).

#include "protocol/transport/ws_session.hpp"

namespace evbroker::transport::detail {

template <class Traits>
void WsSession<Traits>::do_read() {
  if (phase_ != Phase::open || reading_ || unconsumed_ >= max_unconsumed()) return;
  reading_ = true;
  ws_.async_read(read_buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Traits>
void WsSession<Traits>::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (ec) {
    finish(read_error_reason(ec));
    return;
  }
  if (phase_ != Phase::open) {  // closing: nothing more goes to the handler
    read_buffer_.clear();
    return;
  }
  if (!ws_.got_text()) {
    read_buffer_.clear();
    request_close(static_cast<std::uint16_t>(websocket::close_code::unknown_data), "binary messages are not supported");
    return;
  }
  std::string text = beast::buffers_to_string(read_buffer_.data());
  read_buffer_.clear();
  ++unconsumed_;
  try {
    handler_->on_text(std::move(text));
  } catch (...) {
    request_close(static_cast<std::uint16_t>(websocket::close_code::internal_error), "message handler failed");
    return;
  }
  do_read();
}

template <class Traits>
std::string WsSession<Traits>::read_error_reason(beast::error_code ec) const {
  if (close_reason_) return *close_reason_;
  // A close frame from the peer counts even when the teardown after it failed: Beast 1.81 lets
  // a pending idle-ping timer expire during the closing handshake and closes the socket under it.
  if (ec == websocket::error::closed || ws_.reason().code != websocket::close_code::none) {
    const auto& cr = ws_.reason();
    std::string text = "closed by peer (code " + std::to_string(cr.code);
    if (!cr.reason.empty()) {
      text += ": ";
      text.append(cr.reason.data(), cr.reason.size());
    }
    return text + ")";
  }
  if (ec == beast::error::timeout) return "ping timeout: peer unresponsive";
  if (ec == websocket::error::message_too_big) {
    return "message too big (limit " + std::to_string(options().max_message_bytes) + " bytes), closed with 1009";
  }
  return "read error: " + ec.message();
}

template <class Traits>
void WsSession<Traits>::enqueue(std::string text) {
  if (phase_ != Phase::open) {  // sends after close are ignored
    pending_writes_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(text));
  if (queue_.size() > options().max_pending_writes) {
    abort("slow reader: more than " + std::to_string(options().max_pending_writes) + " frames queued");
    return;
  }
  if (!writing_) write_next();
}

template <class Traits>
void WsSession<Traits>::write_next() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()),
                  beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Traits>
void WsSession<Traits>::on_write(beast::error_code ec, std::size_t /*bytes*/) {
  writing_ = false;
  queue_.pop_front();
  pending_writes_.fetch_sub(1, std::memory_order_relaxed);
  if (phase_ == Phase::done) return;
  if (ec) {
    abort("write error: " + ec.message());
    return;
  }
  if (!queue_.empty()) {
    write_next();
  } else if (phase_ == Phase::closing && !close_started_) {
    start_close_handshake();
  }
}

template <class Traits>
void WsSession<Traits>::request_close(std::uint16_t code, std::string reason) {
  if (phase_ != Phase::open) return;
  phase_ = Phase::closing;
  close_code_ = code;
  close_text_ = truncate_utf8(std::move(reason), 123);
  close_reason_ = "closed by server (code " + std::to_string(code) +
                  (close_text_.empty() ? std::string{} : ": " + close_text_) + ")";
  // Bound the whole close (flushing queued frames + close handshake).
  close_timer_.expires_after(options().handshake_timeout);
  close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec != net::error::operation_aborted && self->phase_ == Phase::closing) {
      self->abort(*self->close_reason_ + ", close handshake timed out");
    }
  });
  if (!writing_) start_close_handshake();
}

template <class Traits>
void WsSession<Traits>::start_close_handshake() {
  close_started_ = true;
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_text_),
                  [self = this->shared_from_this()](beast::error_code) { self->finish(*self->close_reason_); });
}

/// Tears the connection down now, without a close handshake.
template <class Traits>
void WsSession<Traits>::abort(std::string reason) {
  if (phase_ == Phase::done) return;
  if (!close_reason_) close_reason_ = reason;
  beast::get_lowest_layer(ws_).close();
  finish(std::move(reason));
}

template <class Traits>
void WsSession<Traits>::finish(std::string reason) {
  if (phase_ == Phase::done) return;
  phase_ = Phase::done;
  if (!close_reason_) close_reason_ = reason;
  close_timer_.cancel();
  // The frame being written must outlive its async_write; drop the others.
  const std::size_t keep = writing_ ? 1 : 0;
  if (queue_.size() > keep) {
    pending_writes_.fetch_sub(queue_.size() - keep, std::memory_order_relaxed);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(keep), queue_.end());
  }
  if (!close_started_) beast::get_lowest_layer(ws_).close();
  admission_.budget.release();  // the connection is over; a close handshake ends on its own deadline
  if (auto state = state_.lock()) state->remove(this);
  if (auto handler = std::move(handler_)) {
    try {
      handler->on_closed(reason);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection is gone either way
    }
  }
}

}  // namespace evbroker::transport::detail
