#!/usr/bin/env bash
# Create (or refresh) a virtualenv from requirement files. Safe to rerun: it
# reinstalls only when the requirement files changed since the last run.
#
#   rig/venv.sh                      the project's .venv from requirements.txt
#   rig/venv.sh DIR REQ [REQ ...]    another virtualenv
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv="${1:-${VENV:-$top/.venv}}"
shift || true
reqs=("$@")
[[ ${#reqs[@]} -gt 0 ]] || reqs=("$top/requirements.txt")
stamp="$venv/.requirements.sha256"
want=$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)

if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
"$venv/bin/pip" install --quiet "${args[@]}" 2> >(grep -v "^WARNING: Location" >&2)
echo "$want" > "$stamp"
echo "rig: virtualenv ready at $venv"
