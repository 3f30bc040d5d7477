#!/usr/bin/env bash
# The long fuzz campaign (issue 12): builds the fuzz targets (build-fuzz/, clang) and runs each for
# RUNS executions (default 10 million) split over JOBS processes (default 2), at low priority, then
# prints per target: executions, exec/s, corpus, coverage (cov/ft) and findings. The corpus
# grows in build-fuzz/long/<target>/corpus across campaigns. Extra arguments go to
# tests/fuzz/run_long.py (--targets ocpp,upgrade, --max-time SECONDS, ...).
#   scripts/fuzz_long.sh                       all targets, 10M executions each
#   RUNS=1000000 scripts/fuzz_long.sh --targets config
set -euo pipefail
cd "$(dirname "$0")/.."

NICE=${NICE:-10}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  nice -n "$NICE" scripts/build.sh fuzz
fi
exec python3 tests/fuzz/run_long.py --build build-fuzz --runs "${RUNS:-10000000}" --jobs "${JOBS:-2}" \
  --nice "$NICE" "$@"
