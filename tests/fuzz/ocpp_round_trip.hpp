#pragma once
// Shared by the OCPP fuzz targets: decode a payload as the request or response of one action and,
// when it decodes, check the round-trip property: our own encoding of the value decodes again, to an
// equal value. A failed property traps (libFuzzer reports it as a crash with the input).

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/error_codes.hpp"
#include "protocol/json_check.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/ocpp21/actions.hpp"
#include "protocol/version.hpp"

namespace evbroker::fuzz {

/// The generated API of one version, as a type (ocpp16, ocpp201, ocpp21 are namespaces).
#define EVBROKER_FUZZ_VERSION_API(ns, version_value)                                                       \
  struct ns##_api {                                                                                        \
    using Action = ::evbroker::ns::Action;                                                                 \
    using Request = ::evbroker::ns::Request;                                                               \
    using Response = ::evbroker::ns::Response;                                                             \
    static constexpr std::size_t kActionCount = ::evbroker::ns::kActionCount;                              \
    static constexpr ::evbroker::ocpp::Version kVersion = version_value;                                   \
    static bool parse_action(std::string_view n, Action& a) { return ::evbroker::ns::parse_action(n, a); } \
    static const ::evbroker::ocpp::ActionInfo& info(Action a) { return ::evbroker::ns::info(a); }          \
    static ::evbroker::ocpp::DecodeResult decode(Action a, std::string_view p, Request& r,                 \
                                                 const ::evbroker::ocpp::DecodeOptions& o) {               \
      return ::evbroker::ns::decode_request(a, p, r, o);                                                   \
    }                                                                                                      \
    static ::evbroker::ocpp::DecodeResult decode(Action a, std::string_view p, Response& r,                \
                                                 const ::evbroker::ocpp::DecodeOptions& o) {               \
      return ::evbroker::ns::decode_response(a, p, r, o);                                                  \
    }                                                                                                      \
  };

EVBROKER_FUZZ_VERSION_API(ocpp16, ::evbroker::ocpp::Version::v16)
EVBROKER_FUZZ_VERSION_API(ocpp201, ::evbroker::ocpp::Version::v201)
EVBROKER_FUZZ_VERSION_API(ocpp21, ::evbroker::ocpp::Version::v21)
#undef EVBROKER_FUZZ_VERSION_API

/// The nesting limits the node runs with: max_json_depth's default and the most it may be set to
/// (apps/evbroker/config_settings.cpp). Each input is tried with one of them, chosen by
/// depth_for(input) so that the same input always behaves the same.
inline constexpr std::size_t kDefaultDepth = ocpp::kDefaultMaxJsonDepth;
inline constexpr std::size_t kDeepestConfigurable = 1024;
inline std::size_t depth_for(std::string_view input) {
  return input.size() % 2 == 0 ? kDefaultDepth : kDeepestConfigurable;
}

/// Decodes `payload` as a Message (the Request or Response variant of Api) of `action`; on success
/// checks the round trip and returns true. On failure the error is mapped to a CALLERROR code (the
/// mapping must not crash either). `max_depth` is the payload's own limit (DecodeOptions).
template <class Api, class Message>
bool decode_round_trip(typename Api::Action action, std::string_view payload, bool tolerant, Message* out = nullptr,
                       std::size_t max_depth = kDefaultDepth) {
  Message first;
  const ocpp::DecodeOptions options{.tolerant = tolerant, .max_depth = max_depth};
  auto result = Api::decode(action, payload, first, options);
  if (!result) {
    (void)ocpp::call_error_for(Api::kVersion, result.error());
    return false;
  }
  std::string encoded;
  ocpp::JsonWriter w(encoded);
  encode(w, first);  // found by ADL: the variant's alternatives live in the version's namespace
  Message second;
  if (!Api::decode(action, encoded, second, options)) __builtin_trap();  // our own output must decode
  if (!(first == second)) __builtin_trap();                              // to the same value
  if (out) *out = std::move(first);
  return true;
}

// Compiled once, in ocpp_round_trip_<version>.cpp: instantiating the decoders, encoders and comparisons of
// every message of a version takes minutes, and three targets use them.
#define EVBROKER_FUZZ_ROUND_TRIP(api, message) \
  extern template bool decode_round_trip<api, message>(api::Action, std::string_view, bool, message*, std::size_t);
EVBROKER_FUZZ_ROUND_TRIP(ocpp16_api, ocpp16::Request)
EVBROKER_FUZZ_ROUND_TRIP(ocpp16_api, ocpp16::Response)
EVBROKER_FUZZ_ROUND_TRIP(ocpp201_api, ocpp201::Request)
EVBROKER_FUZZ_ROUND_TRIP(ocpp201_api, ocpp201::Response)
EVBROKER_FUZZ_ROUND_TRIP(ocpp21_api, ocpp21::Request)
EVBROKER_FUZZ_ROUND_TRIP(ocpp21_api, ocpp21::Response)
#undef EVBROKER_FUZZ_ROUND_TRIP

/// An action of Api chosen by name, or by a hash of the name when it names none (so that any
/// input still exercises some decoder).
template <class Api>
typename Api::Action action_named(std::string_view name) {
  typename Api::Action action{};
  if (Api::parse_action(name, action)) return action;
  std::size_t h = 0;
  for (char c : name) h = h * 31 + static_cast<unsigned char>(c);
  return static_cast<typename Api::Action>(h % Api::kActionCount);
}

}  // namespace evbroker::fuzz
