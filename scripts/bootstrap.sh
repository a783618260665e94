#!/usr/bin/env bash
# Installs what the tests need besides Python packages, on a fresh Debian 12 machine
# (run as root; idempotent: a machine that has everything is left alone):
#   docker.io (+ a running dockerd), debootstrap, a Java 17 runtime, Maven, Chromium, uv.
# PostgreSQL and Kafka run in containers built by scripts/build-images.sh.
#
# Environment:
#   TSUEN_DOCKERD_ARGS   extra dockerd arguments when this script starts the daemon
#   TSUEN_UV_VERSION     uv version installed with pip when uv is missing (default 0.9.30)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.tsuen
UV_VERSION=${TSUEN_UV_VERSION:-0.9.30}
DOCKERD_WAIT=60

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

mkdir -p "$STATE"
export DEBIAN_FRONTEND=noninteractive

# --- Debian packages ----------------------------------------------------------------------
packages=()
have dockerd || packages+=(docker.io)
have debootstrap || packages+=(debootstrap)
have java || packages+=(openjdk-17-jre-headless)
have mvn || packages+=(maven)
have npm || packages+=(npm)  # the portal's htmx, pinned in services/portal/package-lock.json
have wrk || packages+=(wrk)  # the benchmarks' second load generator (bench/wrk, issue 20)
# Browser tests (Playwright drives Debian's Chromium; Playwright's own download cannot work here).
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || packages+=(fonts-noto-cjk)  # Japanese text in page screenshots
if ! command -v uv >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
  packages+=(python3-pip)
fi

if [ ${#packages[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "installing ${packages[*]} needs root"
  log "apt-get update"
  apt-get update -qq
  log "apt-get install ${packages[*]}"
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
  log "Debian packages: docker.io, debootstrap, java, maven already present"
fi

# --- Docker daemon ------------------------------------------------------------------------
docker_ready() { docker info >/dev/null 2>&1; }

wait_for_dockerd() {  # $1: pid of the dockerd we started, or "" for one we did not
  local pid=$1 waited=0
  until docker_ready; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    if [ "$waited" -ge "$DOCKERD_WAIT" ]; then
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

start_dockerd() {  # extra dockerd arguments
  local logfile=$STATE/dockerd.log
  log "starting dockerd $* (log: $logfile)"
  # setsid: the daemon outlives this script and its process group.
  # shellcheck disable=SC2086
  setsid dockerd ${TSUEN_DOCKERD_ARGS:-} "$@" >>"$logfile" 2>&1 </dev/null &
  local pid=$!
  if wait_for_dockerd "$pid"; then
    log "dockerd ready (pid $pid)"
    return 0
  fi
  log "dockerd did not become ready; last lines of $logfile:"
  tail -n 15 "$logfile" >&2 || true
  kill "$pid" 2>/dev/null || true
  return 1
}

if docker_ready; then
  log "docker daemon already running: left alone"
elif pidof dockerd >/dev/null 2>&1 || pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is running but not answering yet: waiting up to ${DOCKERD_WAIT}s"
  wait_for_dockerd "" || die "dockerd runs but does not answer (see docker info)"
else
  [ "$(id -u)" = 0 ] || die "starting dockerd needs root"
  # overlay2 is the default; vfs is the slow but always-working fallback.
  start_dockerd || start_dockerd --storage-driver=vfs || die "could not start dockerd"
fi

# The client may be newer than Debian's 20.10 daemon (API 1.41): the CLI negotiates the
# API version down by itself; builds use the classic builder (DOCKER_BUILDKIT=0 in
# build-images.sh) because the daemon's BuildKit and the buildx plugin are not there.
log "docker client $(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?'), \
server $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')"

# --- uv -----------------------------------------------------------------------------------
if command -v uv >/dev/null 2>&1; then
  log "uv already installed: $(uv --version)"
else
  log "pip install uv==$UV_VERSION"
  py=$(command -v python3.11 || command -v python3) || die "python3 not found"
  if ! "$py" -m pip install -q "uv==$UV_VERSION" 2>"$STATE/pip-uv.log"; then
    if grep -q externally-managed "$STATE/pip-uv.log"; then
      # Debian's own python3 (PEP 668): uv is a standalone binary, safe to add.
      "$py" -m pip install -q --break-system-packages "uv==$UV_VERSION"
    else
      cat "$STATE/pip-uv.log" >&2
      die "pip install uv failed"
    fi
  fi
  hash -r
  command -v uv >/dev/null 2>&1 || die "uv installed but not on PATH (pip's scripts directory?)"
  log "installed $(uv --version)"
fi

log "done. Next: scripts/build-images.sh"
