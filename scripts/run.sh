#!/usr/bin/env bash
# The start command: installs what is missing, builds the release tree and starts the node on its
# embedded defaults. Arguments are passed to the node.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh release
if [ -x build/bin/evbroker ]; then
  exec build/bin/evbroker "$@"
fi
# The node daemon arrives with the node issue; until then the protocol layer is what there is.
echo "build/bin/evbroker is not built yet (the node is the next milestone); running the codec benchmark instead:"
exec build/bin/bench_codec "$@"
