#!/usr/bin/env bash
# Installs the Debian 12 packages evbroker needs, only those missing. Quiet when all are there.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ ccache pkg-config python3
  # libraries (README: Debian packages only)
  libcaf-dev libboost1.81-dev libssl-dev openssl libsimdjson-dev libpaho-mqttpp-dev libpaho-mqtt-dev
  liblmdb-dev libspdlog-dev libtomlplusplus-dev libcli11-dev
  # tests: Catch2, the MQTT broker and its clients for cluster tests, clang + libFuzzer for the fuzz target
  catch2 mosquitto mosquitto-clients clang-14 libclang-rt-14-dev
  # the style check (.clang-format)
  clang-format-14
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
