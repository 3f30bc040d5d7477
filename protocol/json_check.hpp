#pragma once
// Whether a text is one well-formed JSON document (RFC 8259) no deeper than a limit: the check the
// node applies to every JSON it reads before trusting what a lazy parser said about it.
//
// simdjson's on-demand parser validates only what it visits and its DOM parser stops at numbers it
// cannot represent (NUMBER_ERROR for 99999999999999999999, as for a malformed number), so neither
// can tell "malformed" from "valid JSON of the wrong range". This checker follows the grammar alone: numbers of any
// size are well-formed (a decoder then reports them as out of range), UTF-8 must be valid, \u escapes must not leave a
// surrogate unpaired (simdjson refuses those too), and it never recurses, so the depth of the input costs a counter,
// not stack.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace evbroker::ocpp {

/// The nesting depth every JSON the node reads is held to unless configured otherwise
/// (--max-json-depth): objects and arrays count one level each, the outermost value is level 1.
/// OCPP's own schemas nest at most ~10 levels; vendor data (DataTransfer, customData) gets the rest.
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;

enum class JsonCheck : std::uint8_t { ok, malformed, too_deep };

struct JsonCheckResult {
  JsonCheck status = JsonCheck::ok;
  std::string_view why;    // static text; empty when ok
  std::size_t offset = 0;  // where the problem was found (bytes from the start)
  explicit operator bool() const noexcept { return status == JsonCheck::ok; }
};

/// Checks `text`. max_depth 0 means no depth limit.
JsonCheckResult check_json(std::string_view text, std::size_t max_depth) noexcept;

}  // namespace evbroker::ocpp
