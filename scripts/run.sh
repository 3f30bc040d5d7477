#!/usr/bin/env bash
# The start command: installs what is missing, builds the release tree and starts the node on its
# embedded defaults (data in ./data, its local PKI in ./data/pki, stations on
# ws://127.0.0.1:9310/ws/<id> and wss://127.0.0.1:9311/ws/<id>, API on http://127.0.0.1:9410).
# Arguments are passed to the node (see build/bin/evbroker --help); `build/bin/evbroker ca --help`
# for the local PKI.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh release
exec build/bin/evbroker "$@"
