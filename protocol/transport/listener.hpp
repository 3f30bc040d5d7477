#pragma once
// Private to protocol/transport: a TCP acceptor shared by the websocket and HTTP servers.
// Each accepted socket gets its own strand as executor. listen/stop/port may be called from any
// thread; a mutex serialises them with the accept handler (Asio objects are not thread-safe).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace evbroker::transport::detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Called on an I/O thread for every accepted socket; must not block.
  using OnSocket = std::function<void(boost::asio::ip::tcp::socket)>;

  Listener(boost::asio::io_context& io, OnSocket on_socket);

  /// Binds and starts accepting; the bind error otherwise.
  std::error_code listen(const std::string& address, std::uint16_t port);
  /// Stops accepting and closes the listening socket (idempotent).
  void stop();
  std::uint16_t port() const;

 private:
  void accept_next();  // mutex_ held
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  const OnSocket on_socket_;
  mutable std::mutex mutex_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  bool accepting_ = false;
  std::uint16_t port_ = 0;
};

/// "ip:port" of the socket's peer ("unknown" when the socket is already gone).
std::string remote_address_of(const boost::asio::ip::tcp::socket& socket);

}  // namespace evbroker::transport::detail
