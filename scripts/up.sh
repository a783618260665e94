#!/usr/bin/env bash
# Bring the whole platform up locally with demo data (docker-compose, images built here):
#   Kafka, PostgreSQL (one database per service), topics, a mail catcher, the four services
#   (each: HTTP API + outbox relay + consumers, migrations applied at start), the demo
#   facilities, resident records and child, and dev tokens. Everything listens on 127.0.0.1.
# Stop with scripts/down.sh (add --volumes to delete the data).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
export TSUEN_DEV_POSTGRES_PORT=${TSUEN_DEV_POSTGRES_PORT:-15432}
export TSUEN_DEV_KAFKA_PORT=${TSUEN_DEV_KAFKA_PORT:-19092}
COMPOSE=(docker-compose -p tsuen)

echo "== install and build (the first run takes several minutes)"
scripts/bootstrap.sh
command -v docker-compose >/dev/null || apt-get install -y -qq docker-compose >/dev/null
scripts/build-images.sh
uv sync --frozen --all-packages -q
scripts/build-service-images.sh

echo "== start"
TSUEN_JWT_SECRET=$(uv run --frozen python scripts/devstack.py secret)
export TSUEN_JWT_SECRET
"${COMPOSE[@]}" up -d --remove-orphans
for svc in eligibility booking attendance notification; do
  state=""
  for _ in $(seq 1 120); do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$("${COMPOSE[@]}" ps -q "$svc")" 2>/dev/null || true)
    [ "$state" = healthy ] && break
    sleep 1
  done
  [ "$state" = healthy ] || { echo "$svc is not healthy: ${COMPOSE[*]} logs $svc" >&2; exit 1; }
done

echo "== demo data"
"${COMPOSE[@]}" exec -T eligibility tsuen-eligibility seed-demo --file /demo/demo.yaml
"${COMPOSE[@]}" exec -T booking tsuen-booking seed-demo --file /demo/demo.yaml
uv run --frozen python scripts/devstack.py tokens

cat <<MSG

tsuen is up (everything on 127.0.0.1):
  eligibility   http://127.0.0.1:8001/docs
  booking       http://127.0.0.1:8002/docs
  attendance    http://127.0.0.1:8003/docs   (facility display page: see docs/attendance.md)
  notification  http://127.0.0.1:8004/docs
  mail catcher  http://127.0.0.1:8025        every e-mail the platform sends
  Kafka         127.0.0.1:$TSUEN_DEV_KAFKA_PORT
  PostgreSQL    127.0.0.1:$TSUEN_DEV_POSTGRES_PORT  (tsuen/tsuen; databases eligibility, booking, attendance, notification)
  dev tokens    .tsuen/dev-tokens.env       (guardian, facility staff, officers of 131016 and 222135)
  demo data     deploy/demo/demo.yaml       (千代田区 131016, 掛川市 222135)
Logs: ${COMPOSE[*]} logs -f <service>     Stop: scripts/down.sh
MSG
