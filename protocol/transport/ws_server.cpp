// The websocket listener: accepts sockets, applies admission control, hands each socket to a
// plain or TLS session (ws_session_*.cpp). No Beast here.
#include "protocol/transport/ws_server.hpp"

#include <utility>

#include "protocol/transport/listener.hpp"
#include "protocol/transport/ws_internal.hpp"

namespace evbroker::transport {

namespace {

using tcp = boost::asio::ip::tcp;

void admit(const std::shared_ptr<const detail::WsConfig>& config, const std::shared_ptr<detail::WsServerState>& state,
           tcp::socket socket) {
  std::string remote_address = detail::remote_address_of(socket);
  if (!state->try_begin_handshake()) {
    // Admission control: during a reconnect storm, shed load before spending anything on TLS.
    boost::system::error_code ignored;
    socket.close(ignored);
    if (config->callbacks.refused && !state->shut_down()) {
      UpgradeRequest request;
      request.tls = config->options.tls != nullptr;
      request.remote_address = std::move(remote_address);
      request.header = [](std::string_view) { return std::string{}; };
      try {
        config->callbacks.refused(request, UpgradeDecision{false, {}, 503, "too many pending handshakes"});
      } catch (...) {  // NOLINT(bugprone-empty-catch): a metrics hook must not stop the listener
      }
    }
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (config->options.tls) {
    detail::start_tls_session(config, state, std::move(socket), std::move(remote_address));
  } else {
    detail::start_plain_session(config, state, std::move(socket), std::move(remote_address));
  }
}

}  // namespace

struct WsServer::Impl {
  std::shared_ptr<const detail::WsConfig> config;
  std::shared_ptr<detail::WsServerState> state;
  std::shared_ptr<detail::Listener> listener;
};

WsServer::WsServer(boost::asio::io_context& io, WsServerOptions options, WsCallbacks callbacks)
    : impl_(std::make_shared<Impl>()) {
  impl_->state = std::make_shared<detail::WsServerState>(options.max_pending_handshakes);
  impl_->config = std::make_shared<const detail::WsConfig>(detail::WsConfig{std::move(options), std::move(callbacks)});
  impl_->listener = std::make_shared<detail::Listener>(
      io,
      [config = impl_->config, state = impl_->state](tcp::socket socket) { admit(config, state, std::move(socket)); });
}

WsServer::~WsServer() {
  impl_->listener->stop();
  // From now on no callback but the handlers' on_closed runs. Open connections are asked to
  // close; if the io_context never runs again, they report on_closed when it drops them.
  for (const auto& connection : impl_->state->shut_down_and_take()) {
    connection->close(1001, "server shutting down");
  }
}

std::error_code WsServer::listen() {
  return impl_->listener->listen(impl_->config->options.address, impl_->config->options.port);
}

std::uint16_t WsServer::local_port() const { return impl_->listener->port(); }

void WsServer::stop_accepting() { impl_->listener->stop(); }

void WsServer::close_all(std::uint16_t code, const std::string& reason) {
  for (const auto& connection : impl_->state->snapshot()) connection->close(code, reason);
}

std::size_t WsServer::open_connections() const { return impl_->state->size(); }

}  // namespace evbroker::transport
