#pragma once
// spdlog set-up: one named logger per component, all writing to stderr, as text or as one JSON
// object per line (for log shippers).

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "apps/evbroker/config.hpp"

namespace evbroker::app {

/// Configures the sinks, level and format; false (with a message) on a bad level.
bool setup_logging(const NodeConfig& config, std::string& error);
/// The named logger ("node", "station", "handler", "api", "store"), created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace evbroker::app
