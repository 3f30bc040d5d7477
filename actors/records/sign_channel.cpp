#include "actors/records/sign_channel.hpp"

namespace evbroker::actors {

const char* to_string(SignChannel channel) {
  switch (channel) {
    case SignChannel::v201: return "ocpp2.0.1";
    case SignChannel::v16: return "ocpp1.6";
    case SignChannel::v16_pnc: return "ocpp1.6-iso15118pnc";
  }
  return "ocpp2.0.1";
}

std::optional<SignChannel> sign_channel_from(std::string_view text) {
  for (auto channel : {SignChannel::v201, SignChannel::v16, SignChannel::v16_pnc})
    if (text == to_string(channel)) return channel;
  return std::nullopt;
}

}  // namespace evbroker::actors
