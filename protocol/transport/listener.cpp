#include "protocol/transport/listener.hpp"

#include <chrono>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/strand.hpp>

#include "protocol/transport/upgrade_parse.hpp"

namespace evbroker::transport::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& io, OnSocket on_socket)
    : io_(io), on_socket_(std::move(on_socket)), acceptor_(io), retry_timer_(io) {}

std::error_code Listener::listen(const std::string& address, std::uint16_t port) {
  std::lock_guard lock(mutex_);
  if (acceptor_.is_open()) return std::make_error_code(std::errc::already_connected);
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(address, ec);
  if (ec) return ec;
  const tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) port_ = acceptor_.local_endpoint(ec).port();
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  accepting_ = true;
  accept_next();
  return {};
}

void Listener::stop() {
  std::lock_guard lock(mutex_);
  accepting_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

std::uint16_t Listener::port() const {
  std::lock_guard lock(mutex_);
  return port_;
}

void Listener::accept_next() {
  acceptor_.async_accept(net::make_strand(io_),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) return;  // stopped while this completion was queued: drop the socket
  }
  if (!ec) on_socket_(std::move(socket));
  std::lock_guard lock(mutex_);
  if (!accepting_) return;
  if (!ec) {
    accept_next();
    return;
  }
  // Out of descriptors or memory (Asio retries the benign errors itself): back off briefly
  // instead of spinning on the same failure.
  retry_timer_.expires_after(std::chrono::milliseconds(100));
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
    if (wait_ec) return;
    std::lock_guard relock(self->mutex_);
    if (self->accepting_) self->accept_next();
  });
}

std::string remote_address_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return format_endpoint(remote.address().to_string(), remote.port(), remote.address().is_v6());
}

}  // namespace evbroker::transport::detail
