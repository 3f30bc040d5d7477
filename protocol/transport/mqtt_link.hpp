#pragma once
// One MQTT v5 client connection for clustering (Paho MQTT C++ async client), with what both roles
// need and Paho leaves to the caller: several broker URLs tried in turn (failover), reconnecting
// with exponential backoff for as long as the process runs, the subscriptions made again after
// every reconnect, a last will, and MQTT 5 properties on publish (ContentType, ResponseTopic,
// CorrelationData, user properties).
//
// Threads: callbacks run on Paho's callback thread, one at a time, and must not block. publish()
// and the accessors may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evbroker::transport {

struct MqttWill {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = true;
};

struct MqttLinkOptions {
  /// Broker URLs tried in order on every (re)connect: "mqtt://host:1883", "tcp://host:1883",
  /// "mqtts://host:8883" or "ssl://host:8883" (TLS). At least one.
  std::vector<std::string> urls;
  std::string client_id;  // unique per process (the broker drops the older of two)
  std::string username;   // "" = anonymous
  std::string password;
  std::string ca_file;           // TLS: PEM CAs to verify the broker; "" = the system store
  std::string client_cert_file;  // TLS: client certificate (PEM) for the broker, optional
  std::string client_key_file;
  /// Clean start false + this session expiry keeps subscriptions and queued QoS 1 messages at the
  /// broker while this client is away (the manager uses it so nothing waits on a restart). 0 =
  /// clean start, nothing kept.
  std::chrono::seconds session_expiry{0};
  std::chrono::seconds keep_alive{10};
  std::chrono::milliseconds min_retry{250};  // reconnect backoff: doubles up to max_retry
  std::chrono::milliseconds max_retry{5000};
  /// Messages published while connected but not yet acknowledged by the broker that Paho may hold;
  /// publish() fails beyond that (backpressure instead of unbounded memory).
  int max_inflight = 65535;
  std::optional<MqttWill> will;
  /// Published (retained) after every successful connect, e.g. the gateway's "online" status.
  std::optional<MqttWill> birth;
};

struct MqttSubscription {
  std::string filter;  // may be a shared subscription "$share/<group>/<filter>"
  int qos = 1;
};

/// A received message. Properties that were absent are empty.
struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
  std::string content_type;
  std::string response_topic;
  std::string correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;
  /// The value of a user property, "" when absent.
  std::string user_property(std::string_view name) const;
};

struct MqttPublish {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = false;
  std::string content_type;      // "" = not sent
  std::string response_topic;    // "" = not sent
  std::string correlation_data;  // "" = not sent
  std::vector<std::pair<std::string, std::string>> user_properties;
};

struct MqttLinkCallbacks {
  std::function<void(MqttMessage)> message;
  /// Connected (true, after the subscriptions were acknowledged) or connection lost (false,
  /// with the reason). Called once per change.
  std::function<void(bool connected, const std::string& detail)> state;
  /// Optional: a connection attempt failed (after every URL was tried), with Paho's reason, so an
  /// unreachable or misconfigured broker (TLS, credentials) shows in the log. Called on every
  /// failed attempt: the caller rate-limits.
  std::function<void(const std::string& detail)> attempt_failed;
};

class MqttLink {
 public:
  MqttLink(MqttLinkOptions options, std::vector<MqttSubscription> subscriptions, MqttLinkCallbacks callbacks);
  ~MqttLink();  // disconnects (the will is not sent on a clean disconnect)
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  /// Starts connecting in the background; returns at once. Fails only for bad options (a URL
  /// Paho refuses, a missing TLS file).
  std::optional<std::string> start();
  /// Waits up to `timeout` for the first connection (with subscriptions acknowledged).
  bool wait_connected(std::chrono::milliseconds timeout);
  bool connected() const;
  /// Queues a message. False (and nothing sent) when not connected or over max_inflight: the
  /// caller answers the station with an error rather than pretending.
  bool publish(MqttPublish message);
  /// Clean disconnect (waits up to `timeout` for queued messages to go out).
  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  struct Stats {
    std::uint64_t published = 0;
    std::uint64_t publish_refused = 0;  // not connected or too many in flight
    std::uint64_t received = 0;
    std::uint64_t reconnects = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace evbroker::transport
