#pragma once
// A WsServer on a loopback port with recording callbacks, run by two I/O threads.

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/transport/ws_server.hpp"
#include "tests/transport/test_support.hpp"

namespace transport_test {

using evbroker::transport::Connection;
using evbroker::transport::UpgradeDecision;
using evbroker::transport::UpgradeRequest;
using evbroker::transport::WsCallbacks;
using evbroker::transport::WsServer;
using evbroker::transport::WsServerOptions;

inline WsServerOptions test_options() {
  WsServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.handshake_timeout = std::chrono::seconds(5);
  options.idle_ping_interval = std::chrono::seconds(30);
  return options;
}

/// Accepts /ws/<id> offering ocpp2.0.1 or ocpp1.6 (the first one offered wins); 404 / 400 else.
inline UpgradeDecision default_decide(const UpgradeRequest& req) {
  if (!req.path_ok) return {false, {}, 404, "unknown path"};
  for (const auto& offer : req.subprotocols) {
    if (offer == "ocpp1.6" || offer == "ocpp2.0.1") return {true, offer, 0, {}};
  }
  return {false, {}, 400, "no supported subprotocol"};
}

class WsFixture {
 public:
  WsFixture() = default;
  WsFixture(const WsFixture&) = delete;
  WsFixture& operator=(const WsFixture&) = delete;
  ~WsFixture() { shutdown(); }

  /// The node's order: stop and join the I/O threads, destroy the server, then the io_context.
  void shutdown() {
    io.stop();
    server.reset();
  }

  void start(WsServerOptions options = test_options()) {
    WsCallbacks callbacks;
    callbacks.decide = [this](const UpgradeRequest& req) {
      {
        std::lock_guard lock(mutex_);
        decided_.push_back(req);
      }
      return decide(req);
    };
    callbacks.open = [this](std::shared_ptr<Connection> connection, const UpgradeRequest&,
                            const std::string& subprotocol) -> std::shared_ptr<evbroker::transport::ConnectionHandler> {
      auto handler = std::make_shared<RecordingHandler>();
      handler->connection = connection;
      if (on_open) on_open(*handler);
      std::lock_guard lock(mutex_);
      handlers_.push_back(handler);
      opened_subprotocols_.push_back(subprotocol);
      return handler;
    };
    callbacks.refused = [this](const UpgradeRequest& req, const UpgradeDecision& decision) {
      std::lock_guard lock(mutex_);
      refusals_.emplace_back(req, decision);
    };
    server = std::make_unique<WsServer>(io.io, std::move(options), std::move(callbacks));
    REQUIRE(!server->listen());
    port = server->local_port();
    REQUIRE(port != 0);
  }

  std::size_t handler_count() const {
    std::lock_guard lock(mutex_);
    return handlers_.size();
  }
  std::shared_ptr<RecordingHandler> handler(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return i < handlers_.size() ? handlers_[i] : nullptr;
  }
  /// Waits for the i-th opened connection.
  std::shared_ptr<RecordingHandler> wait_handler(std::size_t i = 0) const {
    REQUIRE(eventually([&] { return handler_count() > i; }));
    return handler(i);
  }
  std::vector<UpgradeRequest> decided() const {
    std::lock_guard lock(mutex_);
    return decided_;
  }
  std::vector<std::pair<UpgradeRequest, UpgradeDecision>> refusals() const {
    std::lock_guard lock(mutex_);
    return refusals_;
  }
  std::size_t refusal_count() const {
    std::lock_guard lock(mutex_);
    return refusals_.size();
  }
  std::vector<std::string> opened_subprotocols() const {
    std::lock_guard lock(mutex_);
    return opened_subprotocols_;
  }

  std::function<UpgradeDecision(const UpgradeRequest&)> decide = default_decide;
  std::function<void(RecordingHandler&)> on_open;  // before the handler is returned
  IoThreads io{2};
  std::unique_ptr<WsServer> server;
  std::uint16_t port = 0;

 private:
  mutable std::mutex mutex_;
  std::vector<UpgradeRequest> decided_;
  std::vector<std::pair<UpgradeRequest, UpgradeDecision>> refusals_;
  std::vector<std::shared_ptr<RecordingHandler>> handlers_;
  std::vector<std::string> opened_subprotocols_;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace transport_test
