#pragma once
// The OCPP versions evbroker speaks and their websocket subprotocol names.

#include <cstdint>
#include <optional>
#include <string_view>

namespace evbroker::ocpp {

enum class Version : std::uint8_t { v16, v201, v21 };

/// The Sec-WebSocket-Protocol token of a version: "ocpp1.6", "ocpp2.0.1", "ocpp2.1".
constexpr std::string_view subprotocol(Version v) noexcept {
  switch (v) {
    case Version::v16: return "ocpp1.6";
    case Version::v201: return "ocpp2.0.1";
    case Version::v21: return "ocpp2.1";
  }
  return {};
}

constexpr std::optional<Version> version_from_subprotocol(std::string_view token) noexcept {
  for (auto v : {Version::v16, Version::v201, Version::v21})
    if (subprotocol(v) == token) return v;
  return std::nullopt;
}

}  // namespace evbroker::ocpp
