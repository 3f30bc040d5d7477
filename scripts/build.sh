#!/usr/bin/env bash
# Configures and builds one of the three build trees:
#   scripts/build.sh release   build/        optimised node, tools and benchmarks (binaries in build/bin)
#   scripts/build.sh test      build-tests/  everything with ASan + UBSan, and the test suite
#   scripts/build.sh fuzz      build-fuzz/   the libFuzzer targets (clang; tests/fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-release}
jobs=$(nproc)
case "$kind" in
  release) dir=build;       args=(-DCMAKE_BUILD_TYPE=Release -DEVBROKER_TESTS=OFF) ;;
  test)    dir=build-tests; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVBROKER_SANITIZE=ON
                                  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g") ;;
  fuzz)    dir=build-fuzz;  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVBROKER_FUZZ=ON
                                  -DCMAKE_CXX_COMPILER=clang++-14 "-DFUZZ_SECONDS=${FUZZ_SECONDS:-60}") ;;
  *) echo "usage: scripts/build.sh release|test|fuzz" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
