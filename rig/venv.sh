#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv from requirements.txt. Safe to
# rerun: it reinstalls only when requirements.txt changed since the last run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv="${VENV:-$top/.venv}"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$top/requirements.txt" | cut -d' ' -f1)

if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -r "$top/requirements.txt"
echo "$want" > "$stamp"
echo "rig: virtualenv ready at $venv"
