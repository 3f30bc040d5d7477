#pragma once
// The gateway role's edge (docs/cluster.md): every frame a station sends becomes an envelope on
// <prefix>/in/<subprotocol>/<stationId>, every envelope on <prefix>/out/... for a station this
// gateway holds becomes a frame on its socket. The gateway checks framing only; the manager
// validates payloads, runs the handlers and owns the state.
//
// For a CSMS call the gateway remembers the request until the station answers, so the manager
// receives request and response together (as MaEVe's gateway does). When the broker is out of
// reach a station CALL is answered at once with a CALLERROR the station retries, never with a
// made-up CALLRESULT.
//
// No actors here: everything runs on the websocket I/O threads and Paho's callback thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>

#include "actors/cluster/cluster_settings.hpp"
#include "protocol/transport/mqtt_link.hpp"
#include "protocol/transport/ws_server.hpp"
#include "protocol/version.hpp"

namespace evbroker::actors {

class GatewayBridge : public std::enable_shared_from_this<GatewayBridge> {
 public:
  GatewayBridge(ClusterSettings settings, MqttPublisher publish, std::shared_ptr<spdlog::logger> log,
                std::size_t max_frame_bytes);

  /// An accepted websocket: announces it to the managers and returns the handler of its frames.
  std::shared_ptr<transport::ConnectionHandler> open(std::shared_ptr<transport::Connection> connection,
                                                     const std::string& station_id, const std::string& subprotocol,
                                                     bool tolerant);
  /// A message on <prefix>/out/# or <prefix>/control/#.
  void on_message(const transport::MqttMessage& message);
  /// The broker link came up: announce every open connection again (a manager that restarted
  /// meanwhile learns them) and send the events that could not be sent while it was down.
  void on_link_up();

  std::size_t connections() const;
  struct Stats {
    std::uint64_t to_broker = 0;          // envelopes published
    std::uint64_t to_stations = 0;        // frames sent to stations
    std::uint64_t refused_link_down = 0;  // station CALLs answered with a CALLERROR: broker unreachable
    std::uint64_t not_held = 0;           // out messages for stations this gateway does not hold
    std::uint64_t dropped_answers = 0;    // station answers to no pending CSMS call
    std::uint64_t invalid_messages = 0;   // broken envelopes or topics from the broker
  };
  Stats stats() const;

  struct Link;  // one station websocket (defined in the .cpp)

  // Called by a link's ConnectionHandler.
  void from_station(const std::shared_ptr<Link>& link, std::string text);
  void closed(const std::shared_ptr<Link>& link, const std::string& reason);

 private:
  void publish_event(const Link& link, bool connected, const std::string& reason);
  bool publish_to_managers(const Link& link, std::string topic, std::string payload, std::string correlation, int qos);
  void flush_events();

  ClusterSettings settings_;
  MqttPublisher publish_;
  std::shared_ptr<spdlog::logger> log_;
  std::size_t max_frame_bytes_;
  std::atomic<std::uint64_t> sessions_{0};

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Link>> links_;  // station id -> current websocket
  std::deque<transport::MqttPublish> unsent_events_;              // while the broker was away

  struct Counters {
    std::atomic<std::uint64_t> to_broker{0}, to_stations{0}, refused_link_down{0}, not_held{0}, dropped_answers{0},
        invalid_messages{0};
  };
  Counters counters_;
};

}  // namespace evbroker::actors
