#!/usr/bin/env bash
# Installs the Debian packages hearth builds and tests with, only those missing.
# With "bench": also the peers the benchmarks compare against; with "fuzz":
# clang and libFuzzer.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache curl
  libcaf-dev libboost-dev libssl-dev libsecp256k1-dev capnproto libcapnp-dev
  librocksdb-dev libspdlog-dev catch2 nlohmann-json3-dev libcli11-dev
  libcrypto++-dev bubblewrap slirp4netns e2fsprogs openssh-client openssh-server openssl ca-certificates
  prometheus jq systemd  # Prometheus scrapes the node in a test (promtool checks the exposition); jq: the README's tour;
  # systemd: systemd-analyze verifies the package's unit (the machine need not boot with it)
)
if [ "${1:-}" = bench ]; then
  packages+=(wrk lighttpd nginx-light fcgiwrap)
fi
if [ "${1:-}" = fuzz ]; then
  packages+=(clang libclang-rt-14-dev)  # libFuzzer and the sanitizers' runtime
fi

# The reference protocol clients the tests run (npm, pinned by package-lock.json),
# installed again only when the lock file changes.
install_npm_clients() {
  local dir lock stamp
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/npm"
  lock="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  stamp="$dir/node_modules/.hearth-lock-sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ]; then return 0; fi
  echo "installing npm test clients (tests/npm)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock" > "$stamp"
}

command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_npm_clients
  exit 0
fi

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
install_npm_clients
