#!/usr/bin/env bash
# Builds the image from the Dockerfile with buildah and proves that it runs: `start` in it,
# /healthz, a WebRTC transport created through it, /metrics on the metrics address, and a
# drain that ends it with exit 0. Prints build time, image size and start time.
# Needs root, buildah, podman and debootstrap (`apt-get install buildah podman debootstrap`).
#   npm run image:check          (VISITWIRE_IMAGE=name:tag to change the tag)
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { echo "[image] $*" >&2; }
for tool in buildah podman debootstrap; do
  command -v "$tool" >/dev/null || { log "E_IMAGE_TOOLS: $tool is missing; as root: apt-get install -y buildah podman debootstrap"; exit 1; }
done
tag=${VISITWIRE_IMAGE:-localhost/visitwire:dev}
from=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile | head -1)
scripts/image/base.sh "$from"

args=(--isolation chroot --layers -t "$tag")
# The TLS proxy's CA, if npm needs one here: a build secret, never a layer.
ca=$(npm config get cafile 2>/dev/null || true)
[ -s "$ca" ] || ca=${NODE_EXTRA_CA_CERTS:-}
[ -s "$ca" ] && args+=(--secret "id=npm-ca,src=$ca")
# meson and ninja for the offline worker build, when pip reads a local (file://) index here: mounted read-only.
pip_index=${VISITWIRE_PIP_INDEX:-$(pip config get global.extra-index-url 2>/dev/null | tr ' ' '\n' | grep '^file://' | head -1 || true)}
if [ -n "$pip_index" ]; then
  dir=${pip_index#file://}; dir=${dir%/}; dir=${dir%/simple}   # the index's links point beside simple/
  args+=(-v "$dir:$dir:ro" --build-arg "PIP_INDEX_URL=$pip_index")
fi
t0=$(date +%s)
buildah bud "${args[@]}" . >&2
build_s=$(( $(date +%s) - t0 ))
size=$(buildah images --format '{{.Size}}' "$tag" | head -1)
log "built $tag in ${build_s} s; size $size"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port); mport=$(free_port)
secret=image-check-secret-$(date +%s%N)
ctr=$(buildah from "$tag")
run_started_ms=$(date +%s%3N)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah run --isolation chroot \
  --env PORT="$port" --env HOST=127.0.0.1 --env VISITWIRE_RTC_LISTEN_IP=127.0.0.1 --env VISITWIRE_RTC_PORT=0 \
  --env VISITWIRE_WORKERS=1 --env VISITWIRE_METRICS_ADDR="127.0.0.1:$mport" --env VISITWIRE_SECRET="$secret" --env LOG_LEVEL=warn \
  "$ctr" -- node bin/visitwire.mjs start > image-run.log 2>&1 &
run_pid=$!
figures=$(VISITWIRE_SECRET="$secret" npx tsx scripts/image/smoke.ts "http://127.0.0.1:$port" "http://127.0.0.1:$mport") ||
  { kill "$run_pid" 2>/dev/null; tail -30 image-run.log; log "E_IMAGE_SMOKE: the image did not serve"; exit 1; }
code=0
for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$run_pid" 2>/dev/null; then kill "$run_pid"; log "E_IMAGE_STOP: still running 10 s after the drain"; exit 1; fi
wait "$run_pid" || code=$?
[ "$code" = 0 ] || { tail -30 image-run.log; log "E_IMAGE_EXIT: start exited $code after the drain"; exit 1; }
healthy_at=$(node -p "JSON.parse(process.argv[1]).healthyAtMs" "$figures")
echo "{\"image\":\"$tag\",\"buildSeconds\":$build_s,\"size\":\"$size\",\"startToHealthyMs\":$(( ${healthy_at%.*} - run_started_ms )),\"run\":$figures}"
