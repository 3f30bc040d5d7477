#pragma once
// A configuration file's text made safe for toml++ before it reads it. toml++ 3.3.0 (Debian 12)
// reaches __builtin_unreachable() in is_non_ascii_horizontal_whitespace for U+00A1-U+0499,
// U+2C5E-U+3057 (but U+3000) and U+FB26-U+FEFE wherever it asks whether such a character is
// whitespace: in a bare key, after a value (its look-ahead runs on into a string that follows
// without a separator), after a backslash in a multi-line string (found by fuzz_config; upstream
// marzer/tomlplusplus#295, fixed by PR #305 after 3.3.0; docs/toolchain.md). That is undefined
// behaviour in the node, so toml++ never gets to see one of those code points:
//   - in a comment every non-ASCII character is blanked (replaced by as many spaces as it has
//     bytes, so lines and columns stay the same): comments carry nothing the node reads;
//   - outside strings and comments TOML has no place for any non-ASCII character (bare keys are
//     A-Za-z0-9_-): every one there is refused;
//   - in a string one of those code points is refused, with the escape to write instead.

#include <cstddef>
#include <optional>
#include <string>

namespace evbroker::app {

struct TomlProblem {
  std::size_t line = 0;    // from 1
  std::size_t column = 0;  // from 1, in bytes (as toml++ counts them)
  std::string why;
};

/// Blanks the non-ASCII characters of `text`'s comments in place and returns the first place
/// toml++ must not see, or nullopt when `text` is ready for toml++.
std::optional<TomlProblem> make_readable_by_toml(std::string& text);

}  // namespace evbroker::app
