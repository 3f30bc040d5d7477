// evbroker: the OCPP broker node. See README.md, `evbroker --help` and `evbroker ca --help`.

#include <cstdio>
#include <string_view>

#include "apps/evbroker/ca_command.hpp"
#include "apps/evbroker/config.hpp"
#include "apps/evbroker/gateway_node.hpp"
#include "apps/evbroker/node.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "ca") return evbroker::app::run_ca_command(argc, argv);

  evbroker::app::NodeConfig config;
  const auto outcome = evbroker::app::parse_config(argc, argv, config);
  switch (outcome.kind) {
    case evbroker::app::ParseOutcome::Kind::exit_ok:
      std::fputs(outcome.message.c_str(), stdout);
      return outcome.exit_code;
    case evbroker::app::ParseOutcome::Kind::exit_error:
      std::fprintf(stderr, "evbroker: %s\n", outcome.message.c_str());
      return outcome.exit_code == 0 ? 2 : outcome.exit_code;
    case evbroker::app::ParseOutcome::Kind::run: break;
  }
  if (config.role == evbroker::app::Role::gateway) return evbroker::app::run_gateway(config);
  return evbroker::app::run_node(config);  // role all, or manager
}
