#!/usr/bin/env bash
# Build the rig's images locally (no registry can be reached) and save them as
# tarballs for the inner Docker engines of the test hosts.
#
# Each image is tagged with a hash of its recipe (and of its parent's tag), so an
# unchanged recipe is never rebuilt. The resulting references are written to
# .rig/images.env (shell) and .rig/images.yml (Ansible vars).
#
# Usage: rig/images.sh [NAME ...]   (default: all)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
recipes="$top/rig/images"
state="${RIG_STATE_DIR:-$top/.rig}"
mkdir -p "$state/images"

"$top/rig/engine.sh"
# No buildx here: say so, rather than have every build warn about it.
export DOCKER_BUILDKIT=0

hash_of() {  # hash_of DIR [EXTRA]: a short, stable hash of a recipe directory
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; echo "${2:-}") \
    | sha256sum | cut -c1-12
}

have() { docker image inspect "$1" >/dev/null 2>&1; }

debian_mirror() {
  # Use the mirror this machine's apt already uses, so the project names none.
  local uri
  uri=${DEBIAN_MIRROR:-$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
        | grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -n1)}
  [[ -n $uri ]] || { echo "rig/images.sh: set DEBIAN_MIRROR to a Debian mirror URL; none was found in apt's sources." >&2; exit 1; }
  echo "$uri"
}

build_base() {
  local ref=$1 root
  command -v debootstrap >/dev/null 2>&1 || {
    [[ $(id -u) -eq 0 ]] || { echo "rig/images.sh: debootstrap is missing; install it (apt-get install debootstrap) and rerun." >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  local pkgs
  pkgs=$(grep -vE '^\s*(#|$)' "$recipes/base/packages" | paste -sd, -)
  echo "rig: debootstrap bookworm ($pkgs)"
  debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$(debian_mirror)" >"$state/debootstrap.log" 2>&1 \
    || { echo "rig/images.sh: debootstrap failed; see $state/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  # The component images take their programs from other suites through it.
  install -m 0755 "$recipes/base/apt-suite" "$root/usr/local/sbin/apt-suite"
  # A container has no consoles or udev to wait for.
  for unit in getty.target systemd-udevd.service systemd-udev-trigger.service console-getty.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  tar -C "$root" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$ref" >/dev/null
}

wanted() { local w; for w in "${want[@]}"; do [[ $w == "$1" ]] && return 0; done; return 1; }

declare -A REF
order=(base oci-host prometheus node-exporter cadvisor grafana-standin victoria-metrics alertmanager)
want=("$@")
[[ ${#want[@]} -gt 0 ]] || want=("${order[@]}")

for name in "${order[@]}"; do
  [[ -d $recipes/$name ]] || continue
  parent=""
  if [[ $name != base ]]; then parent=${REF[base]}; fi
  ref="coinpilot-rig/$name:$(hash_of "$recipes/$name" "$parent")"
  REF[$name]=$ref
  # Later images need the base even when only they were asked for.
  if [[ $name != base ]] && ! wanted "$name"; then continue; fi
  start=$SECONDS
  if have "$ref"; then
    echo "rig: $ref (reused)"
  elif [[ $name == base ]]; then
    build_base "$ref"; echo "rig: $ref (built in $((SECONDS - start)) s)"
  else
    docker build -q --force-rm --build-arg BASE_IMAGE="${REF[base]}" -t "$ref" "$recipes/$name" >/dev/null \
      || { echo "rig/images.sh: building $name failed; rerun 'docker build $recipes/$name' to see why." >&2; exit 1; }
    echo "rig: $ref (built in $((SECONDS - start)) s)"
  fi
  tar_file="$state/images/${name}.tar"
  # The base goes in too: a test host builds the seed's app image FROM it.
  if [[ $name != oci-host ]] && [[ ! -f $tar_file || $(cat "$tar_file.ref" 2>/dev/null) != "$ref" ]]; then
    docker save -o "$tar_file" "$ref"
    echo "$ref" > "$tar_file.ref"
  fi
done

{
  for name in "${order[@]}"; do
    if [[ -n ${REF[$name]:-} ]]; then echo "RIG_IMAGE_$(echo "$name" | tr 'a-z-' 'A-Z_')=${REF[$name]}"; fi
  done
} > "$state/images.env"
{
  echo "# Written by rig/images.sh: the locally built images of this checkout."
  for name in "${order[@]}"; do
    if [[ -n ${REF[$name]:-} ]]; then echo "rig_image_$(echo "$name" | tr '-' '_'): ${REF[$name]}"; fi
  done
} > "$state/images.yml"
