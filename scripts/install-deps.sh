#!/usr/bin/env bash
# Installs the Debian packages hearth builds and tests with, only those missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache curl
  libcaf-dev libboost-dev libssl-dev libsecp256k1-dev capnproto libcapnp-dev
  librocksdb-dev libspdlog-dev catch2 nlohmann-json3-dev libcli11-dev
  libcrypto++-dev bubblewrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
