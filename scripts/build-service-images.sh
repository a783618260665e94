#!/usr/bin/env bash
# Builds tsuen/<service>:<version> for the seven services from the working tree:
#   1. a wheelhouse on the host (.tsuen/wheels): our packages (uv build) and every locked
#      runtime dependency (uv export | pip wheel), since pip cannot reach PyPI from a container;
#   2. docker build deploy/images/service --build-arg SERVICE=<name> on tsuen/base:bookworm.
# Usage: scripts/build-service-images.sh [service ...]   (default: all seven)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
BASE_IMAGE=${TSUEN_BASE_IMAGE:-tsuen/base:bookworm}
VERSION=${TSUEN_VERSION:-0.1.0}
CTX=.tsuen/service-image
LOGS=.tsuen/logs
services=("$@")
[ ${#services[@]} -gt 0 ] || services=(eligibility booking attendance notification identity portal billing)
log() { printf '[build-service-images] %s\n' "$*" >&2; }

mkdir -p "$LOGS"
scripts/build-images.sh base >/dev/null
rm -rf "$CTX" && mkdir -p "$CTX/wheels"
cp deploy/images/service/Dockerfile "$CTX/"

log "wheelhouse: locked runtime dependencies"
uv export --frozen --no-dev --all-packages --no-emit-workspace --no-hashes \
  --format requirements-txt -o "$CTX/requirements.txt" -q
# The host is Debian 12 with CPython 3.11 like the image, so host wheels fit the image.
python3 -m pip wheel -q --disable-pip-version-check --no-deps -r "$CTX/requirements.txt" \
  -w "$CTX/wheels" 2>"$LOGS/wheelhouse.log" \
  || { tail -20 "$LOGS/wheelhouse.log" >&2; exit 1; }
log "wheelhouse: our packages"
uv build --all-packages --wheel -o "$CTX/wheels" -q
# The portal's htmx (npm, locked), copied into every image (one small file; only the portal
# reads it, from TSUEN_PORTAL_VENDOR_DIR): the wheel carries no node_modules.
scripts/install-browser-scripts.sh >"$LOGS/browser-scripts.log" 2>&1 \
  || { tail -20 "$LOGS/browser-scripts.log" >&2; exit 1; }
mkdir -p "$CTX/vendor/htmx.org/dist"
cp services/portal/node_modules/htmx.org/dist/htmx.min.js "$CTX/vendor/htmx.org/dist/"

for svc in "${services[@]}"; do
  log "docker build tsuen/$svc:$VERSION"
  docker build --pull=false --force-rm -q \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "SERVICE=$svc" \
    -t "tsuen/$svc:$VERSION" -t "tsuen/$svc:latest" "$CTX" >"$LOGS/image-$svc.log" 2>&1 \
    || { tail -30 "$LOGS/image-$svc.log" >&2; exit 1; }
done
log "done: ${services[*]}"
