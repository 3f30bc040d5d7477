#include "apps/evbroker/mqtt_setup.hpp"

namespace evbroker::app {

actors::ClusterSettings cluster_settings(const NodeConfig& config) {
  actors::ClusterSettings settings;
  settings.prefix = config.mqtt_prefix;
  settings.group = config.mqtt_group;
  settings.node_id = node_identity(config);
  settings.partition_index = config.partition_index;
  settings.partition_count = config.partition_count;
  return settings;
}

transport::MqttLinkOptions mqtt_link_options(const NodeConfig& config, std::chrono::seconds session_expiry) {
  transport::MqttLinkOptions options;
  options.urls = config.mqtt_urls;
  options.client_id = "evbroker-" + node_identity(config);
  options.username = config.mqtt_username;
  options.password = config.mqtt_password;
  options.ca_file = config.mqtt_ca;
  options.client_cert_file = config.mqtt_client_cert;
  options.client_key_file = config.mqtt_client_key;
  options.session_expiry = session_expiry;
  return options;
}

std::function<void(const std::string&)> log_failed_attempts(std::shared_ptr<spdlog::logger> log) {
  struct Last {
    std::string detail;
    std::chrono::steady_clock::time_point at{};
    unsigned suppressed = 0;
  };
  auto last = std::make_shared<Last>();  // called on Paho's thread only, one at a time
  return [log = std::move(log), last](const std::string& detail) {
    const auto now = std::chrono::steady_clock::now();
    if (detail == last->detail && now - last->at < std::chrono::minutes(1)) {
      ++last->suppressed;
      return;
    }
    log->warn("{}; retrying with backoff{}", detail,
              last->suppressed ? " [" + std::to_string(last->suppressed) + " more failed attempts]" : "");
    *last = {detail, now, 0};
  };
}

}  // namespace evbroker::app
