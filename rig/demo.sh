#!/usr/bin/env bash
# What `make demo` and `make demo-clean` run.
#
#   rig/demo.sh up      create the local target, deploy with site.yml, print the URLs
#   rig/demo.sh clean   remove the target with everything deployed into it
#
# The target is a local "OCI host" stand-in (rig/host.sh) whose SSH, Prometheus
# and Grafana ports are published on this machine's 127.0.0.1 only. Its SSH
# port is 2222, where inventory/local expects it (DEMO_SSH_PORT moves it; then
# pass -e ansible_port=N to later commands too).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
state="${RIG_STATE_DIR:-$top/.rig}"
host=${DEMO_HOST:-coinpilot-local}
cd "$top"
export PATH="$top/.venv/bin:$PATH" ANSIBLE_CONFIG="$top/ansible.cfg"

free_port() {  # free_port PREFERRED: PREFERRED when nothing listens there, else any free port
  python3 - "$1" <<'PY'
import socket, sys
for port in (int(sys.argv[1]), 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(s.getsockname()[1])
    break
PY
}

published() {  # published PORT: the machine's port that the target maps to its PORT
  docker port "$host" "$1/tcp" 2>/dev/null | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n1
}

up() {
  local ssh_port prom_port graf_port summary="$state/demo-summary.txt"
  if [[ $(docker inspect -f '{{.State.Running}}' "$host" 2>/dev/null) == true ]]; then
    ssh_port=$(published 22) prom_port=$(published 9090) graf_port=$(published 3000)
    [[ -n $ssh_port ]] \
      || { echo "demo: $host was made before Ansible logged in over SSH; run 'make demo-clean', then 'make demo'." >&2; exit 1; }
  fi
  if [[ -z ${ssh_port:-} ]]; then
    local wanted=${DEMO_SSH_PORT:-2222}
    ssh_port=$(free_port "$wanted")
    [[ $ssh_port == "$wanted" ]] \
      || { echo "demo: 127.0.0.1:$wanted is taken; free it, or set DEMO_SSH_PORT to a free port." >&2; exit 1; }
  fi
  [[ -n ${prom_port:-} ]] || prom_port=$(free_port "${DEMO_PROMETHEUS_PORT:-9090}")
  [[ -n ${graf_port:-} ]] || graf_port=$(free_port "${DEMO_GRAFANA_PORT:-3000}")
  "$top/rig/host.sh" up "$host" -p "$ssh_port:22" -p "$prom_port:9090" -p "$graf_port:3000"

  if [[ ${DEMO_IMAGES:-rig} == official ]]; then
    echo "demo: using the official images (DEMO_IMAGES=official); the target's engine pulls them."
  else
    echo "demo: no registry is used: the images are the ones rig/images.sh built here:"
    echo "      Prometheus, node-exporter and cAdvisor are the real programs (Debian packages),"
    echo "      Grafana is the rig's stand-in. Set DEMO_IMAGES=official to use the official images."
    sed -n 's/^rig_image_\(prometheus\|node_exporter\|cadvisor\|grafana_standin\): /      /p' "$state/images.yml"
  fi

  rm -f "$summary"
  ansible-playbook -i inventory/local playbooks/site.yml \
    -e "rig_container=$host" -e "ansible_port=$ssh_port" -e "verify_summary_file=$summary"

  # Both URLs must answer from this machine, not only from inside the target.
  curl -fsS --retry 10 --retry-delay 1 --retry-connrefused -o /dev/null "http://127.0.0.1:$prom_port/-/ready" \
    || { echo "demo: Prometheus does not answer on 127.0.0.1:$prom_port" >&2; exit 1; }
  curl -fsS --retry 10 --retry-delay 1 --retry-connrefused -o /dev/null "http://127.0.0.1:$graf_port/api/health" \
    || { echo "demo: Grafana does not answer on 127.0.0.1:$graf_port" >&2; exit 1; }

  echo
  echo "Verification summary:"
  cat "$summary"
  echo
  echo "Prometheus: http://127.0.0.1:$prom_port"
  echo "Grafana: http://127.0.0.1:$graf_port"
}

clean() {
  "$top/rig/host.sh" down "$host"
  rm -f "$state/demo-summary.txt"
  echo "demo: removed $host, its Docker volume and everything deployed in it"
}

case ${1:-up} in
  up) up ;;
  clean) clean ;;
  *) echo "usage: rig/demo.sh up|clean" >&2; exit 2 ;;
esac
