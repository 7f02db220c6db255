#!/usr/bin/env bash
# Run one stage of `make test` under a heading, and report its time.
set -uo pipefail
name=$1; shift
printf '\n==== %s ====\n' "$name"
start=$SECONDS
"$@"
rc=$?
printf -- '---- %s: %s in %d s ----\n' "$name" "$([[ $rc -eq 0 ]] && echo passed || echo FAILED)" "$((SECONDS - start))"
exit $rc
