// libFuzzer target over the management API's generated body decoders (actors/api/generated/, from
// docs/openapi.json): the bytes go through simdjson's DOM parser with the node's default depth
// limit, as parse_body (actors/api/api_support.cpp) reads every API body, and an object is decoded
// as the body the first line names (a name that is none picks one by hash, so any input reaches a
// decoder).
//
// The input is "<body>\n<json>", body one of auth, settings, trigger, token, certificate, install,
// installs.
//
// Properties (a failure traps): decoding never crashes, and a body that decodes and has an encoder
// round-trips: its encoding parses, decodes again to the same value and encodes to the same text.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "actors/api/generated/api_bodies.hpp"
#include "protocol/json_writer.hpp"
#include "tests/fuzz/fuzz_mutator.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::json)

namespace {

using namespace evbroker;
namespace bodies = evbroker::actors::api::bodies;

constexpr std::size_t kDefaultMaxDepth = 64;  // --max-json-depth's default

void require(bool ok) {
  if (!ok) __builtin_trap();
}

/// The object `text` holds, or nothing when it is not a JSON object within the depth limit.
bool parse_object(simdjson::dom::parser& parser, std::string_view text, simdjson::dom::object& out) {
  if (parser.allocate(std::max<std::size_t>(text.size(), 64), kDefaultMaxDepth)) return false;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root)) return false;
  return root.get(out) == simdjson::SUCCESS;
}

/// Decodes the body; when it decodes, its encoding must decode to the same value and encode alike.
template <class Body, class Decode>
void round_trip(simdjson::dom::object object, Decode decode) {
  auto decoded = decode(object);
  if (!decoded) return;
  const std::string first = ocpp::to_json(*decoded);
  simdjson::dom::parser parser;
  simdjson::dom::object again_object;
  require(parse_object(parser, first, again_object));
  auto again = decode(again_object);
  require(static_cast<bool>(again));
  require(*again == *decoded);
  require(ocpp::to_json(*again) == first);
}

/// Decoding only (request bodies the API never writes back).
template <class Decode>
void decode_only(simdjson::dom::object object, Decode decode) {
  auto decoded = decode(object);
  if (!decoded) require(!decoded.error().empty());  // a refusal always says why
}

std::size_t hash(std::string_view s) {
  std::size_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view name = newline == std::string_view::npos ? std::string_view{} : input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (!parse_object(parser, body, object)) return 0;
  constexpr std::string_view kNames[] = {"auth", "settings", "trigger", "token", "certificate", "install", "installs"};
  std::size_t which = std::size(kNames);
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (name == kNames[i]) which = i;
  if (which == std::size(kNames)) which = hash(name) % std::size(kNames);
  switch (which) {
    case 0: round_trip<bodies::ChargeStationAuth>(object, bodies::decode_charge_station_auth); break;
    case 1: decode_only(object, bodies::decode_charge_station_settings); break;
    case 2: decode_only(object, bodies::decode_charge_station_trigger); break;
    case 3: round_trip<bodies::Token>(object, bodies::decode_token); break;
    case 4: round_trip<bodies::Certificate>(object, bodies::decode_certificate); break;
    case 5: round_trip<bodies::InstallCertificate>(object, bodies::decode_install_certificate); break;
    default: decode_only(object, bodies::decode_charge_station_install_certificates); break;
  }
  return 0;
}
