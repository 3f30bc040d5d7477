// What a configuration file must pass before toml++ 3.3.0 reads it (apps/evbroker/toml_guard.hpp):
// what is refused, where the problem is said to be, what is blanked and what passes untouched.

#include "apps/evbroker/toml_guard.hpp"

#include <catch2/catch.hpp>

using evbroker::app::make_readable_by_toml;

namespace {

/// "L:C why" of the problem found, or "" when the text is ready for toml++.
std::string verdict(std::string text) {
  auto problem = make_readable_by_toml(text);
  if (!problem) return "";
  return std::to_string(problem->line) + ":" + std::to_string(problem->column) + " " + problem->why;
}

/// The text toml++ gets, which must be ready.
std::string readable(std::string text) {
  auto problem = make_readable_by_toml(text);
  INFO((problem ? problem->why : ""));
  CHECK_FALSE(problem);
  return text;
}

}  // namespace

TEST_CASE("the inputs fuzz_config found toml++ crashing on are refused", "[toml_guard]") {
  // tests/fuzz/regressions/config/toml-unreachable-*
  CHECK(verdict("caf\u00e9 = 1\n").starts_with("1:4 non-ASCII character U+00E9 outside a string or comment"));
  CHECK(verdict("data_dir = \"x\" \u00e9\n").starts_with("1:16 non-ASCII character U+00E9"));
  CHECK(verdict("a = [[{a={a={a\u00c5a={a=1}}}]]\n").starts_with("1:15 non-ASCII character U+00C5"));
  CHECK(verdict("s = \"\"\"\\\n\u00a7\"\"\"\n") ==
        "2:1 character U+00A7 in a string: the TOML library of this build (toml++ 3.3.0) cannot read it safely; "
        "write it as \\u00A7 in a \"...\" string");
  // A value's look-ahead runs on into a string that follows it without a separator.
  CHECK(verdict("1=4294967296=\"\\u00E9\\u00E\u01dau00E9\"\n").starts_with("1:26 character U+01DA in a string"));
}

TEST_CASE("any non-ASCII character outside strings and comments is refused, not only those toml++ trips on",
          "[toml_guard]") {
  CHECK(verdict("\u3000= 1").starts_with("1:1 non-ASCII character U+3000"));
  CHECK(verdict("x = 1\n\n  y\U0001F600 = 2").starts_with("3:4 non-ASCII character U+1F600"));
  CHECK(verdict("k = \xff").starts_with("1:5 non-ASCII character U+FFFD"));  // not UTF-8
}

TEST_CASE("in strings only the characters toml++ trips on are refused, escapes included", "[toml_guard]") {
  CHECK(verdict("a = \"caf\u00e9\"").starts_with("1:9 character U+00E9 in a string"));
  CHECK(verdict("a = 'x\u0416'").starts_with("1:7 character U+0416 in a string"));
  CHECK(verdict("a = '''\n\n\ufb30'''").starts_with("3:1 character U+FB30 in a string"));
  CHECK(verdict("a = \"\\\u00e9\"").starts_with("1:7 character U+00E9 in a string"));
  // Others pass untouched: CJK, emoji, U+3000, and the escapes for the refused ones.
  CHECK(readable("a = \"\u4e2d\u6587 \U0001F600\u3000\"\nb = '\u4e2d'\nc = \"caf\\u00e9\"\n") ==
        "a = \"\u4e2d\u6587 \U0001F600\u3000\"\nb = '\u4e2d'\nc = \"caf\\u00e9\"\n");
}

TEST_CASE("non-ASCII characters in comments are blanked, keeping lines and columns", "[toml_guard]") {
  CHECK(readable("# caf\u00e9\nname = \"x\" # \u00c5 \u3042\n") == "# caf  \nname = \"x\" #       \n");
  // A # inside a string is no comment.
  CHECK(verdict("a = \"#\u00e9\"").starts_with("1:7 character U+00E9 in a string"));
}

TEST_CASE("quotes inside strings do not end them early", "[toml_guard]") {
  CHECK(verdict("a = \"say \\\"\u00e9\\\"\"\n").starts_with("1:12 character U+00E9"));
  CHECK(readable("a = \"say \\\"hi\\\"\" # \u00e9\n") == "a = \"say \\\"hi\\\"\" #   \n");
  // A multi-line string may end in two quotes of its own: they must not open a new string.
  CHECK(verdict("a = \"\"\"x\"\"\"\"\"\nb\u00e9 = 1\n").starts_with("2:2 "));
  CHECK(verdict("a = '''x'''''\nb\u00e9 = 1\n").starts_with("2:2 "));
  // An unterminated one-line string ends at its line; what follows is scanned as TOML again.
  CHECK(verdict("a = \"open\nb\u00e9 = 1\n").starts_with("2:2 "));
}

TEST_CASE("an empty file and an ASCII file pass untouched", "[toml_guard]") {
  CHECK(readable("").empty());
  CHECK(readable("ws_addr = \"127.0.0.1:9310\"\nsync = true # fsync\n") ==
        "ws_addr = \"127.0.0.1:9310\"\nsync = true # fsync\n");
}
