#pragma once
// UTF-8 text as the schemas measure it: maxLength and minLength count characters (code points), not
// bytes. The text has been validated as UTF-8 by the JSON parser before it is measured.

#include <cstddef>
#include <string_view>

namespace evbroker::ocpp {

/// The number of code points of valid UTF-8 text: every byte that does not continue a sequence.
inline std::size_t count_code_points(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace evbroker::ocpp
