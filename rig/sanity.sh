#!/usr/bin/env bash
# ansible-test insists on running from a real .../ansible_collections/NS/NAME
# directory (it resolves symlinks), so sanity runs on a copy of the files git
# would commit, refreshed on every run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/.cache/sanity/ansible_collections/coinpilot/monitoring"
rm -rf "$dest" && mkdir -p "$dest"
cd "$top"
git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$dest"
cd "$dest"
# --venv: each test gets the tool versions ansible-test pins, kept apart from
# the project's own virtualenv. shellcheck and pwsh are not installed, so those
# two tests report "skipped" themselves.
exec ansible-test sanity --venv --requirements --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
