#pragma once
// The MQTT link of a cluster role, built from the node's configuration (docs/cluster.md).

#include <string>

#include "actors/cluster/cluster_settings.hpp"
#include "apps/evbroker/config.hpp"
#include "protocol/transport/mqtt_link.hpp"

namespace evbroker::app {

actors::ClusterSettings cluster_settings(const NodeConfig& config);
/// Broker URLs, credentials, TLS and the client id "evbroker-<node id>". The manager keeps its
/// session (and so its shared subscriptions and the QoS 1 messages queued for it) for
/// `session_expiry` while it restarts; a gateway starts clean.
transport::MqttLinkOptions mqtt_link_options(const NodeConfig& config, std::chrono::seconds session_expiry);

}  // namespace evbroker::app
