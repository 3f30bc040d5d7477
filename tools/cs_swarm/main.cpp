// cs_swarm: simulates many OCPP charge stations against an OCPP-J server. See docs/load-testing.md
// and `cs_swarm --help`.

#include <cstdio>

#include "tools/cs_swarm/options.hpp"
#include "tools/cs_swarm/swarm.hpp"

int main(int argc, char** argv) {
  using namespace evbroker::swarm;
  auto parsed = parse_options(argc, argv);
  if (!parsed.options) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    if (parsed.exit_code != 0) std::fputc('\n', stderr);
    return parsed.exit_code;
  }
  return run_swarm(*parsed.options);
}
