#!/usr/bin/env bash
# Builds a golden root filesystem for couch guests with debootstrap: Debian 12
# (minbase) with a shell and everyday tools, into DIR. Then
#   hearth serve --couch-rootfs DIR
# gives every guest environment its system directories (read-only) and /etc
# from DIR instead of the host's. Needs root and Debian's package mirror.
#
# Usage: scripts/make-rootfs.sh DIR [EXTRA_PACKAGE...]
set -euo pipefail

dir=${1:?usage: scripts/make-rootfs.sh DIR [EXTRA_PACKAGE...]}
shift
packages="bash,coreutils,procps,curl,ca-certificates,less,nano,git,python3"
for p in "$@"; do packages+=",$p"; done
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
command -v debootstrap > /dev/null || $sudo apt-get install -y -qq --no-install-recommends debootstrap
$sudo debootstrap --variant=minbase --include="$packages" bookworm "$dir" "$mirror"
# What a guest sees as itself.
echo "guest:x:1000:1000:couch guest:/home/guest:/bin/bash" | $sudo tee -a "$dir/etc/passwd" > /dev/null
echo "guest:x:1000:" | $sudo tee -a "$dir/etc/group" > /dev/null
echo "nameserver 10.0.2.3" | $sudo tee "$dir/etc/resolv.conf" > /dev/null  # slirp4netns's DNS
echo "golden rootfs ready: hearth serve --couch-rootfs $dir"
