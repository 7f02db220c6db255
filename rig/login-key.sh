#!/usr/bin/env bash
# The key Ansible logs in to the rig's hosts with, as an operator logs in to an
# OCI VM: made once per checkout, never committed. The hosts mount
# .rig/login (authorized_keys) read-only; the private key stays here.
#
#   rig/login-key.sh   make it when missing (safe to rerun); prints nothing
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir="${RIG_STATE_DIR:-$top/.rig}/login"
command -v ssh-keygen >/dev/null 2>&1 \
  || { echo "rig/login-key.sh: ssh-keygen is missing; install the OpenSSH client (apt-get install openssh-client) and rerun." >&2; exit 1; }
mkdir -p "$dir"
chmod 0700 "$dir"
[[ -f $dir/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C coinpilot-rig -f "$dir/id_ed25519"
# Replaced only when it differs: the hosts bind-mount this very file.
cmp -s "$dir/id_ed25519.pub" "$dir/authorized_keys" || install -m 0644 "$dir/id_ed25519.pub" "$dir/authorized_keys"
