#!/usr/bin/env bash
# Make sure a Docker engine answers. Reuse one that does; otherwise install
# Debian's docker.io and start dockerd ourselves. An engine we did not start is
# never stopped or reconfigured.
set -euo pipefail

state_dir="${RIG_STATE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.rig}"
mkdir -p "$state_dir"

answers() { docker info >/dev/null 2>&1; }

if answers; then
  exit 0
fi

die() { echo "rig/engine.sh: $*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
  die "no Docker engine answers and this is not root; start Docker (or run 'make test' as root) and try again."
fi

if ! command -v dockerd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "no Docker engine answers and apt-get is missing; install and start Docker, then try again."
  echo "rig: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d keeps the package's own init script from starting a second dockerd.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null \
    || { rm -f /usr/sbin/policy-rc.d; die "apt-get could not install docker.io; install and start Docker, then try again."; }
  rm -f /usr/sbin/policy-rc.d
fi

echo "rig: starting dockerd (log: $state_dir/dockerd.log)"
nohup dockerd >"$state_dir/dockerd.log" 2>&1 &
echo $! > "$state_dir/dockerd.pid"

for _ in $(seq 1 60); do
  if answers; then
    echo "rig: Docker engine ready ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 1
done
die "dockerd did not answer within 60 s; see $state_dir/dockerd.log."
