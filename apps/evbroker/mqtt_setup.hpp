#pragma once
// The MQTT link of a cluster role, built from the node's configuration (docs/cluster.md).

#include <functional>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "actors/cluster/cluster_settings.hpp"
#include "apps/evbroker/config.hpp"
#include "protocol/transport/mqtt_link.hpp"

namespace evbroker::app {

actors::ClusterSettings cluster_settings(const NodeConfig& config);
/// Broker URLs, credentials, TLS and the client id "evbroker-<node id>". The manager keeps its
/// session (and so its shared subscriptions and the QoS 1 messages queued for it) for
/// `session_expiry` while it restarts; a gateway starts clean.
transport::MqttLinkOptions mqtt_link_options(const NodeConfig& config, std::chrono::seconds session_expiry);

/// Appends one Prometheus sample with its HELP and TYPE lines (a counter when the name ends in
/// _total, a gauge otherwise).
void append_metric(std::string& out, std::string_view name, std::string_view help, std::uint64_t value);
/// The link's counters and state as Prometheus text (evbroker_mqtt_*).
std::string link_metrics(const transport::MqttLink& link);

/// Logs failed connection attempts as warnings: the first, a changed reason, and then once a
/// minute, so a broker that stays away neither floods the log nor goes unnoticed.
std::function<void(const std::string&)> log_failed_attempts(std::shared_ptr<spdlog::logger> log);

}  // namespace evbroker::app
