#!/usr/bin/env bash
# Builds the service images, starts the whole compose stack, runs scripts/smoke.py against it
# (an application, its certification, the portal's password and login, a booking and its
# e-mail, all via 127.0.0.1), and stops
# the stack again, whatever happened. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
COMPOSE=(docker-compose -p tsuen-smoke)
command -v docker-compose >/dev/null || apt-get install -y -qq docker-compose >/dev/null

scripts/build-service-images.sh
TSUEN_JWT_SECRET=$(uv run --frozen python scripts/devstack.py secret)
export TSUEN_JWT_SECRET
uv run --frozen python scripts/devstack.py identity-key >/dev/null

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "smoke: the stack's last log lines:" >&2
    "${COMPOSE[@]}" logs --tail=40 >&2 || true
  fi
  "${COMPOSE[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT

"${COMPOSE[@]}" up -d --remove-orphans
for svc in eligibility booking attendance notification identity portal billing; do
  state=""
  for _ in $(seq 1 150); do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$("${COMPOSE[@]}" ps -q "$svc")" 2>/dev/null || true)
    [ "$state" = healthy ] && break
    sleep 1
  done
  [ "$state" = healthy ] || { echo "smoke: $svc did not become healthy" >&2; exit 1; }
done
"${COMPOSE[@]}" exec -T booking tsuen-booking seed-demo --file /demo/demo.yaml
uv run --frozen python scripts/smoke.py
