// evbroker: the OCPP broker node. See README.md, `evbroker --help` and `evbroker ca --help`.

#include <cstdio>
#include <string_view>

#include "apps/evbroker/ca_command.hpp"
#include "apps/evbroker/config.hpp"
#include "apps/evbroker/gateway_node.hpp"
#include "apps/evbroker/listeners.hpp"
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
  if (auto problem = evbroker::app::resolve_listen_hosts(config)) {
    std::fprintf(stderr, "evbroker: %s\n", problem->c_str());
    return 2;
  }
  // SIGHUP reads the same arguments (and the --config file they name) again.
  auto reread = [argc, argv](evbroker::app::NodeConfig& fresh) {
    auto reparsed = evbroker::app::parse_config(argc, argv, fresh);
    if (reparsed.kind == evbroker::app::ParseOutcome::Kind::run) {
      if (auto problem = evbroker::app::resolve_listen_hosts(fresh))
        return evbroker::app::ParseOutcome{evbroker::app::ParseOutcome::Kind::exit_error, 2, *problem};
    }
    return reparsed;
  };
  if (config.role == evbroker::app::Role::gateway) return evbroker::app::run_gateway(config, reread);
  return evbroker::app::run_node(config, reread);  // role all, or manager
}
