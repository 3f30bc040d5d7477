#include "apps/evbroker/mqtt_setup.hpp"

namespace evbroker::app {

actors::ClusterSettings cluster_settings(const NodeConfig& config) {
  actors::ClusterSettings settings;
  settings.prefix = config.mqtt_prefix;
  settings.group = config.mqtt_group;
  settings.node_id = node_identity(config);
  settings.partition_index = config.partition_index;
  settings.partition_count = config.partition_count;
  settings.max_json_depth = config.max_json_depth;
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

void append_metric(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  const std::string n(name);
  out += "# HELP " + n + " " + std::string(help) + "\n# TYPE " + n +
         (name.ends_with("_total") ? " counter\n" : " gauge\n") + n + " " + std::to_string(value) + "\n";
}

std::string link_metrics(const transport::MqttLink& link) {
  const auto l = link.stats();
  std::string out;
  append_metric(out, "evbroker_mqtt_connected", "1 while the broker link is up", link.connected() ? 1 : 0);
  append_metric(out, "evbroker_mqtt_published_total", "Messages published", l.published);
  append_metric(out, "evbroker_mqtt_publish_refused_total", "Publishes refused (link down or too many in flight)",
                l.publish_refused);
  append_metric(out, "evbroker_mqtt_received_total", "Messages received", l.received);
  append_metric(out, "evbroker_mqtt_reconnects_total", "Reconnections to the broker", l.reconnects);
  return out;
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
