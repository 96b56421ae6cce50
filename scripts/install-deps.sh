#!/usr/bin/env bash
# Installs the Debian packages hearth builds and tests with, only those missing.
# With "bench": also the peers the benchmarks compare against.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache curl
  libcaf-dev libboost-dev libssl-dev libsecp256k1-dev capnproto libcapnp-dev
  librocksdb-dev libspdlog-dev catch2 nlohmann-json3-dev libcli11-dev
  libcrypto++-dev bubblewrap
)
if [ "${1:-}" = bench ]; then
  packages+=(wrk lighttpd nginx-light fcgiwrap)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
# Servers among them must not start as system services: the benchmark runs
# its own on loopback. policy-rc.d tells the packages' scripts so.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" > /dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
