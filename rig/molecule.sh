#!/usr/bin/env bash
# Run one molecule scenario with the rig's images, keep its whole log, and fail
# if the test secrets show up anywhere in that log: no_log must hold everywhere.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
scenario=$1
log="$top/.rig/molecule-$scenario.log"
set -a
# shellcheck disable=SC1091
source "$top/.rig/images.env"
set +a
cd "$top"
rc=0
molecule test -s "$scenario" 2>&1 | tee "$log" || rc=$?
[[ $rc -eq 0 ]] || { echo "molecule $scenario failed (log: $log)"; exit "$rc"; }

secrets=$(python3 - "$top/molecule/resources/group_vars/all/secrets.yml" <<'PY'
import sys, yaml
with open(sys.argv[1]) as f:
    data = yaml.safe_load(f) or {}
for value in data.values():
    if isinstance(value, str) and value:
        print(value)
PY
)
while IFS= read -r secret; do
  [[ -n $secret ]] || continue
  if grep -qF -- "$secret" "$log"; then
    echo "molecule $scenario: a test secret appears in the log ($log): some task lacks no_log."
    exit 1
  fi
done <<< "$secrets"
echo "molecule $scenario: no test secret in the log"
