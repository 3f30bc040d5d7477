// The websocket listener: accepts sockets, applies admission control, hands each socket to a
// plain or TLS session (ws_session_*.cpp). No Beast here.
//
// Admission, cheapest and most absolute first, before anything is spent on the socket (TLS):
//   1. the node's station-connection budget (file descriptors): "at capacity"
//   2. handshakes in progress from the socket's address group: one address cannot starve others
//   3. max_pending_handshakes over all addresses: storm control
// A socket refused here is closed at once, without an answer, and reported as refused (503).
#include "protocol/transport/ws_server.hpp"

#include <optional>
#include <utility>

#include "protocol/transport/listener.hpp"
#include "protocol/transport/ws_internal.hpp"

namespace evbroker::transport {

namespace {

using tcp = boost::asio::ip::tcp;

struct Listening {
  std::shared_ptr<const detail::WsConfig> config;
  std::shared_ptr<detail::WsServerState> state;
  std::shared_ptr<HandshakesByAddress> by_address;  // null: no per-address bound
};

void report_refused_at_accept(const Listening& at, std::string remote_address, int status, std::string reason) {
  const auto& refused = at.config->callbacks.refused;
  if (!refused || at.state->shut_down()) return;
  UpgradeRequest request;
  request.tls = at.config->options.tls != nullptr;
  request.remote_address = std::move(remote_address);
  request.header = [](std::string_view) { return std::string{}; };
  try {
    refused(request, UpgradeDecision{false, {}, status, std::move(reason)});
  } catch (...) {  // NOLINT(bugprone-empty-catch): a metrics hook must not stop the listener
  }
}

/// Reserves what the socket needs, or says why not.
std::optional<detail::Admission> try_admit(const Listening& at, const tcp::endpoint& peer, std::string& refusal) {
  const WsServerOptions& options = at.config->options;
  detail::Admission admission;
  if (options.budget) {
    if (!options.budget->try_acquire()) {
      refusal = "at capacity: " + std::to_string(options.budget->limit()) + " station connections";
      return std::nullopt;
    }
    admission.budget = detail::BudgetLease(options.budget);
  }
  if (at.by_address) {
    std::string group = address_group(peer.address());
    if (!at.by_address->try_begin(group, options.max_handshakes_per_address)) {
      refusal = "too many handshakes in progress from " + group;
      return std::nullopt;  // the budget unit goes back with `admission`
    }
    admission.address = detail::AddressSlot(at.by_address, std::move(group));
  }
  if (!at.state->try_begin_handshake()) {
    refusal = "too many pending handshakes";
    return std::nullopt;
  }
  admission.handshake = detail::HandshakeSlot(at.state);
  return admission;
}

void admit(const Listening& at, tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  std::string remote_address = detail::remote_address_of(socket);
  std::string refusal = "connection closed before admission";  // reset while in the backlog
  std::optional<detail::Admission> admission = ec ? std::nullopt : try_admit(at, peer, refusal);
  if (!admission) {
    boost::system::error_code ignored;
    socket.close(ignored);
    report_refused_at_accept(at, std::move(remote_address), ec ? 400 : 503, std::move(refusal));
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (at.config->options.tls) {
    detail::start_tls_session(at.config, at.state, std::move(socket), std::move(remote_address), std::move(*admission));
  } else {
    detail::start_plain_session(at.config, at.state, std::move(socket), std::move(remote_address),
                                std::move(*admission));
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
  std::shared_ptr<HandshakesByAddress> by_address = options.handshakes_by_address;
  if (!by_address && options.max_handshakes_per_address != 0) by_address = std::make_shared<HandshakesByAddress>();
  impl_->config = std::make_shared<const detail::WsConfig>(detail::WsConfig{std::move(options), std::move(callbacks)});
  impl_->listener =
      std::make_shared<detail::Listener>(io, [at = Listening{impl_->config, impl_->state, std::move(by_address)}](
                                                 tcp::socket socket) { admit(at, std::move(socket)); });
}

WsServer::~WsServer() {
  impl_->listener->stop();
  // From now on no callback but the handlers' on_closed runs. Open connections are asked to
  // close; if the io_context never runs again, they report on_closed when it drops them.
  // Handshakes in progress end now: their slots (possibly shared with another listener) and
  // budget units are released when they are gone.
  auto taken = impl_->state->shut_down_and_take();
  for (const auto& connection : taken.open) connection->close(1001, "server shutting down");
  for (const auto& session : taken.handshaking) session->abort_handshake();
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

std::size_t WsServer::handshakes_in_progress() const { return impl_->state->pending_handshakes(); }

}  // namespace evbroker::transport
