#pragma once
// The manager's stand-in for a station websocket held by a gateway. A station actor on the manager
// talks to it exactly as to a local socket (transport::Connection), so every handler, the CSMS call
// queue and the management API work unchanged; frames become envelopes on
// <prefix>/out/<subprotocol>/<stationId>, and close() asks the gateway to close the socket.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>

#include "actors/cluster/cluster_settings.hpp"
#include "protocol/transport/ws_server.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

struct RemoteSession {
  std::string station_id;
  ocpp::Version version = ocpp::Version::v201;
  std::string gateway;  // "" when the gateway does not say (e.g. a MaEVe gateway)
  std::string session;  // ditto
  std::int64_t connected_at_ms = 0;
  std::string remote_address;
};

class RemoteConnection : public transport::Connection {
 public:
  RemoteConnection(RemoteSession session, std::string prefix, MqttPublisher publish,
                   std::shared_ptr<spdlog::logger> log);

  /// A station CALL passed to the station actor: its answer needs the action (MaEVe's envelope
  /// carries it) and the caller's trace context.
  void note_station_call(const std::string& message_id, const std::string& action, std::string correlation);
  /// The manager stopped using this connection (the station reconnected, or its gateway is gone):
  /// close() becomes a no-op so the actor's farewell cannot close the station's newer socket.
  void detach();

  const RemoteSession& session() const { return session_; }

  void send_text(std::string text) override;
  /// Publishes the message as MaEVe's envelope on the station's out topic (an answer names the
  /// action of the CALL it answers, and carries that CALL's trace context back).
  void send_message(ocpp::Envelope message) override;
  void close(std::uint16_t code, std::string reason) override;
  void consumed() override {}
  const std::string& station_id() const override { return session_.station_id; }
  const std::string& remote_address() const override { return session_.remote_address; }
  std::size_t pending_writes() const override { return 0; }

 private:
  struct StationCall {
    std::string action;
    std::string correlation;
  };

  RemoteSession session_;
  std::string prefix_;
  std::string out_topic_;
  MqttPublisher publish_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mutex_;
  std::unordered_map<std::string, StationCall> station_calls_;  // message id -> call, until answered
  bool detached_ = false;
};

}  // namespace evbroker::actors
