#pragma once
// The table of the node's settings, shared by the two sources that fill NodeConfig (the TOML file and
// the command line, both in config.cpp). Each entry says what the setting holds, how its value is
// checked and stored, and how its current value is shown (for --help). Internal to apps/evbroker.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "apps/evbroker/config.hpp"

namespace evbroker::app::settings {

/// A setting's value as read from either source, before it is checked.
using Value = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

/// What a setting holds; decides the TOML type and how a command-line string is read.
enum class Kind {
  string,
  integer,
  boolean,
  list,  // TOML: an array of strings; command line: one comma-separated string ("" = empty list)
  // TOML: a string or an array of strings; command line: the flag given once per item, never split
  // (file names may hold commas). Both give a std::vector<std::string>, as given.
  repeatable,
};

/// Checks `value` (of the setting's kind) and stores it; returns what is wrong otherwise. The message
/// does not name the setting: the caller prefixes the flag or the file position and key.
using ApplyFn = std::optional<std::string> (*)(NodeConfig&, const Value&);
/// The setting's value in `config`, as it would be written on the command line.
using ShowFn = std::string (*)(const NodeConfig&);

struct Setting {
  std::string_view key;  // TOML key; the flag is "--" + key with '_' -> '-'
  Kind kind;
  std::string_view type_name;  // shown in --help
  std::string_view unit;       // for "expected a whole number of <unit>"
  std::string_view help;
  ApplyFn apply;
  ShowFn show;
  std::string_view env = {};  // environment variable read when the flag is not given (secrets)
};

std::span<const Setting> all();
const Setting* find(std::string_view key);
std::string flag_of(const Setting& setting);  // "--data-dir"

std::string in_quotes(std::string_view text);
/// An RFC 1123 host name ("csms.example.com"); IP addresses are checked separately.
bool is_valid_hostname(std::string_view host);

}  // namespace evbroker::app::settings
