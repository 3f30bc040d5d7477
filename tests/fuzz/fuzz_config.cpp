// libFuzzer target over the node's TOML configuration (apps/evbroker/config.cpp with
// config_settings.cpp, toml++ and CLI11): the input is written to a file in /dev/shm (a tmpfs) and
// read the way the node reads it.
//   - Every input goes through apply_toml_file, the part of parse_config that reads the file and
//     checks each setting. config.cpp is compiled into this translation unit (#include below) to
//     reach it: it lives in config.cpp's anonymous namespace, and building a CLI11 parser for every
//     input (what parse_config does first) would make this target 4 times slower.
//   - An input whose settings all apply then goes through parse_config's last step,
//     finish_settings: the API token file and the checks across settings.
//   - An input that starts with a line "#args: a b c" (a TOML comment that appends those words to
//     the command line, to fuzz flags against the file) is parsed as `evbroker --config FILE [ARGS]`:
//     CLI11, flags, environment, the file, the checks across settings. One ConfigParser serves every
//     input: building CLI11's definition of the 64 flags was 70% of the campaign's time when each
//     input built its own (what parse_config does), and a kept parser gives what parse_config gives
//     (tests/app/config_test.cpp checks it).
// parse_config and apply_toml_file must never throw or exit; whatever they return is fine. The
// inputs on which toml++ 3.3.0 reached undefined behaviour (regressions/config/toml-unreachable-*)
// are refused by apps/evbroker/toml_guard.cpp before toml++ sees them, so nothing is filtered here.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "apps/evbroker/config.cpp"  // NOLINT(bugprone-suspicious-include): see above
#include "tests/fuzz/fuzz_mutator.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::toml)

namespace {

const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir =
        access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    return std::string(dir) + "/evbroker-fuzz-config-" + std::to_string(getpid()) + ".toml";
  }();
  return path;
}

void remove_scratch() { std::remove(scratch_path().c_str()); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Secrets from the environment would mask the file's values.
  for (const char* name : {"EVBROKER_API_TOKEN", "EVBROKER_HUBJECT_CLIENT_SECRET", "EVBROKER_MQTT_PASSWORD"})
    unsetenv(name);
  std::atexit(remove_scratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string& path = scratch_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  evbroker::app::NodeConfig applied;
  const bool settings_ok = !evbroker::app::apply_toml_file(path, applied).has_value();

  constexpr std::string_view kArgs = "#args:";
  const bool has_args = text.starts_with(kArgs);
  if (!has_args) {
    // parse_config's last step, for a file whose settings applied.
    if (settings_ok) (void)evbroker::app::finish_settings(applied, evbroker::app::ParseChecks::all);
    return 0;
  }
  std::vector<std::string> args = {"evbroker", "--config", path};
  std::string_view line = text.substr(kArgs.size(), text.find('\n') - kArgs.size());
  while (!line.empty()) {
    const auto sp = line.find(' ');
    if (sp != 0) args.emplace_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  static evbroker::app::ConfigParser parser;
  evbroker::app::NodeConfig config;
  (void)parser.parse(static_cast<int>(args.size()), argv.data(), config);
  return 0;
}
