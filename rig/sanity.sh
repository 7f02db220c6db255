#!/usr/bin/env bash
# ansible-test sanity, with empty ignore files.
#
# ansible-test insists on running from a real .../ansible_collections/NS/NAME
# directory (it resolves symlinks), so it runs on a copy of the files git would
# commit, refreshed every run. The copy lives outside the checkout: inside it,
# ansible-test would ask the checkout's git, which ignores the copy.
#
# The tools run from their own virtualenv with the versions ansible-test pins
# (its --venv mode downloads a bootstrap script from a host we cannot reach).
set -euo pipefail
if ! command -v shellcheck >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  # The shellcheck sanity test only warns when shellcheck is missing; install it so it runs.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/coinpilot-monitoring"
# One copy per checkout, so two checkouts never test each other's files.
dest="$cache/sanity-$(echo "$top" | sha256sum | cut -c1-8)/ansible_collections/coinpilot/monitoring"
venv="$cache/venv-sanity"

reqdir=$("$top/.venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')
core_req="$cache/ansible-core.txt"
mkdir -p "$cache" && grep -E '^ansible-core' "$top/requirements.txt" > "$core_req"
"$top/rig/venv.sh" "$venv" "$core_req" \
  "$reqdir"/sanity.{pylint,pep8,validate-modules,yamllint,changelog,import,ansible-doc,runtime-metadata}.txt

pip_version=$("$venv/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages; from ansible_test._internal.host_configs import NativePythonConfig; print(get_venv_packages(NativePythonConfig(version="3.11", path="python3"))["pip"])' 2>/dev/null || echo 24.2)
mkdir -p "$HOME/.ansible/test/cache"
cp "$top/rig/get_pip_shim.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

rm -rf "$dest" && mkdir -p "$dest"
cd "$top"
git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$dest"
cd "$dest"
export PATH="$venv/bin:$PATH"
exec ansible-test sanity --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
