#!/usr/bin/env bash
# The test command: installs what is missing, builds with sanitizers, runs the whole suite (ctest),
# then builds the fuzz targets with clang, replays their seeds and regression inputs and fuzzes each for
# its share of FUZZ_SECONDS (default 60 in total; tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh test
ctest --test-dir build-tests --output-on-failure -j "$(nproc)"
scripts/build.sh fuzz
ctest --test-dir build-fuzz --output-on-failure
