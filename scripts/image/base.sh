#!/usr/bin/env bash
# Makes the Dockerfile's FROM image in local storage when no image registry is reachable:
# a debootstrap bookworm minbase root plus this machine's Node runtime (node and npm), imported
# with podman under the FROM name. Does nothing when an image of that name is already there.
#   scripts/image/base.sh node:20-bookworm-slim
set -euo pipefail
name=${1:?usage: base.sh IMAGE_NAME}
log() { echo "[image] $*" >&2; }
if buildah inspect --type image "$name" >/dev/null 2>&1; then log "base image $name is present"; exit 0; fi

want=$(sed -n 's/^node:\([0-9]*\).*/\1/p' <<<"$name")
have=$(node -p 'process.versions.node.split(".")[0]')
[ -z "$want" ] || [ "$want" = "$have" ] || { log "E_BASE_NODE: $name wants Node $want, this machine has Node $have"; exit 1; }

work=$(mktemp -d /var/tmp/visitwire-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
started=$(date +%s)
log "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include=ca-certificates bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; log "E_BASE_DEBOOTSTRAP: debootstrap failed"; exit 1; }

npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -m 0755 "$(readlink -f "$(command -v node)")" "$work/root/usr/local/bin/node"
mkdir -p "$work/root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$work/root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin
tar -C "$work/root" -c . | podman import --change 'CMD ["node"]' - "$name" >/dev/null
log "base image $name made in $(( $(date +%s) - started )) s (Node $(node -v), npm $(npm -v))"
