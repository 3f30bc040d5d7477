#pragma once
// Comparing input text against string literals of known length, inlined: with a constant size the
// compiler turns memcmp into one or two word compares instead of a library call.

#include <cstddef>
#include <cstring>
#include <string_view>

namespace evbroker::ocpp::detail {

/// True when `text` starts with the N-1 characters of `literal`. The caller guarantees that many
/// bytes are readable (the decoders read from a buffer with 64 bytes of padding).
template <std::size_t N>
inline bool starts_with_literal(const char* text, const char (&literal)[N]) noexcept {
  return std::memcmp(text, literal, N - 1) == 0;
}

/// For text whose length the caller has already matched to the literal's.
template <std::size_t N>
inline bool same_as_literal(std::string_view text, const char (&literal)[N]) noexcept {
  return std::memcmp(text.data(), literal, N - 1) == 0;
}

}  // namespace evbroker::ocpp::detail
