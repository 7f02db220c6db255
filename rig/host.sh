#!/usr/bin/env bash
# A local "OCI host" stand-in: a systemd container with its own Docker engine
# (Docker-in-Docker), preloaded with the rig's images because the inner engine
# has no registry either.
#
#   rig/host.sh up NAME [-p HOSTPORT:PORT ...]   create (or reuse) the host
#
# Ansible logs in over SSH, as to an OCI VM: publish its port 22 with
# -p HOSTPORT:22 and log in as opc with the key rig/login-key.sh made.
#   rig/host.sh down NAME                        remove it, inner containers first
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
state="${RIG_STATE_DIR:-$top/.rig}"

usage() { echo "usage: rig/host.sh up NAME [-p HOSTPORT:PORT ...] | down NAME" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
action=$1 name=$2; shift 2

down() {
  if docker inspect "$name" >/dev/null 2>&1; then
    # Inner containers go first: with cgroupns=host their cgroups would leak on
    # the machine if the outer container vanished under them.
    docker exec "$name" sh -c 'ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids' >/dev/null 2>&1 || true
    docker rm -f "$name" >/dev/null
  fi
  docker volume rm -f "$name-docker" >/dev/null 2>&1 || true
}

up() {
  local publish=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      -p) publish+=(-p "127.0.0.1:$2"); shift 2 ;;
      *) usage ;;
    esac
  done
  "$top/rig/images.sh" >/dev/null
  "$top/rig/login-key.sh"
  # shellcheck disable=SC1091
  source "$state/images.env"
  if [[ $(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null) != true ]]; then
    down
    # Not --privileged: the sandbox lacks a capability it needs. These explicit
    # capabilities are enough for systemd and an inner dockerd.
    docker run -d --name "$name" --hostname "$name" \
      --label coinpilot.rig.host=1 \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      -v "$name-docker:/var/lib/docker" \
      -v "$state/images:/opt/rig-images:ro" \
      -v "$state/login/authorized_keys:/etc/ssh/rig-login/authorized_keys:ro" \
      "${publish[@]}" "$RIG_IMAGE_OCI_HOST" >/dev/null
  fi
  for _ in $(seq 1 60); do
    docker exec "$name" docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker exec "$name" docker info >/dev/null 2>&1 \
    || { echo "rig/host.sh: the Docker engine inside $name did not start; see 'docker exec $name journalctl -u docker'." >&2; exit 1; }
  for _ in $(seq 1 30); do
    docker exec "$name" systemctl is-active -q ssh.service && break
    sleep 1
  done
  # A real VM has both; a container has neither, and cAdvisor mounts them.
  docker exec "$name" sh -c '[ -e /dev/kmsg ] || mknod -m 0644 /dev/kmsg c 1 11; mkdir -p /dev/disk'
  for tar in "$state"/images/*.tar; do
    ref=$(cat "$tar.ref")
    docker exec "$name" docker image inspect "$ref" >/dev/null 2>&1 \
      || docker exec "$name" docker load -q -i "/opt/rig-images/$(basename "$tar")" >/dev/null
  done
  echo "rig: host $name is up"
}

case $action in
  up) up "$@" ;;
  down) down ;;
  *) usage ;;
esac
