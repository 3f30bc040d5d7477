#pragma once
// What both cluster roles need to know about the MQTT side (docs/cluster.md).

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/json_check.hpp"
#include "protocol/transport/mqtt_link.hpp"

namespace evbroker::actors {

struct ClusterSettings {
  std::string prefix = "cs";          // topic prefix (MaEVe's default)
  std::string group = "manager";      // shared-subscription group of the managers
  std::string node_id;                // this gateway's or manager's id (user property, status topic)
  std::uint32_t partition_index = 0;  // a manager owns the stations of this partition ...
  std::uint32_t partition_count = 1;  // ... of this many (1: all of them)
  std::size_t max_json_depth = ocpp::kDefaultMaxJsonDepth;  // frames and envelopes (json_check.hpp)
  /// The shared-subscription group: one per partition, so each partition's manager sees every
  /// message and keeps its own.
  std::string share_group() const {
    return partition_count > 1 ? group + "-p" + std::to_string(partition_index) : group;
  }
};

/// Publishing through the node's MQTT link; false when the message could not be queued (the link
/// is down or too many messages are unacknowledged).
using MqttPublisher = std::function<bool(transport::MqttPublish)>;

/// The MQTT 5 properties every envelope carries (docs/cluster.md): content type, the topic the
/// answer goes to, W3C trace context as correlation data, and who sent it.
inline constexpr const char* kEnvelopeContentType = "application/json";
/// User properties: the gateway holding the station, the websocket session the message belongs
/// to, and when that session started (unix ms), so a late message of an older session cannot
/// displace a newer one.
inline constexpr const char* kGatewayProperty = "gateway";
inline constexpr const char* kSessionProperty = "session";
inline constexpr const char* kConnectedAtProperty = "connected-at";

/// QoS per message class (docs/cluster.md "QoS"). Acknowledged-means-durable does not depend on it:
/// a station hears CALLRESULT only after the manager's commit. QoS 1 is for what nobody would
/// resend by itself (CSMS calls and their answers, connection events, control, the registry) and
/// for station CALLs that carry state; QoS 0 for what the station repeats anyway when it is lost:
/// heartbeats, and the manager's answers to station CALLs (a lost answer is a late one: the
/// station retries and the handlers are idempotent). QoS 0 halves Paho's per-message work.
inline constexpr int kQosReliable = 1;
inline constexpr int kQosRepeatable = 0;

/// A fresh W3C traceparent ("00-<32 hex>-<16 hex>-01") for a message that starts a trace.
std::string new_traceparent();

}  // namespace evbroker::actors
