#!/usr/bin/env bash
# Bring the whole platform up locally with demo data:
#   Kafka and PostgreSQL (docker-compose, local images), one database per service with its
#   migrations, every topic, the municipality presets, the demo facilities/guardian/child,
#   dev tokens, and each service's HTTP API and outbox relay as background processes.
# Everything listens on 127.0.0.1 only. Stop with scripts/down.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
PG_PORT=${TSUEN_DEV_POSTGRES_PORT:-15432}
KAFKA_PORT=${TSUEN_DEV_KAFKA_PORT:-19092}
export TSUEN_DEV_POSTGRES_PORT=$PG_PORT TSUEN_DEV_KAFKA_PORT=$KAFKA_PORT
RUN=.tsuen/run LOGS=.tsuen/logs
mkdir -p "$RUN" "$LOGS"

echo "== install and build (first run takes a few minutes)"
scripts/bootstrap.sh
scripts/build-images.sh
uv sync --frozen --all-packages -q
command -v docker-compose >/dev/null || apt-get install -y -qq docker-compose >/dev/null

echo "== Kafka and PostgreSQL"
docker-compose -p tsuen up -d
for svc in kafka postgres; do
  for _ in $(seq 1 90); do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$(docker-compose -p tsuen ps -q $svc)")
    [ "$state" = healthy ] && break
    sleep 1
  done
  [ "$state" = healthy ] || { echo "$svc did not become healthy; docker-compose -p tsuen logs $svc" >&2; exit 1; }
done

echo "== databases, migrations, topics, policies, demo data"
uv run --frozen python scripts/devstack.py prepare --pg-port "$PG_PORT" --kafka-port "$KAFKA_PORT"
uv run --frozen python scripts/devstack.py tokens

echo "== services"
TSUEN_JWT_SECRET=$(uv run --frozen python scripts/devstack.py secret)
export TSUEN_JWT_SECRET TSUEN_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT TSUEN_LOG_JSON=true
port=8001
for svc in eligibility booking attendance notification; do
  export TSUEN_DATABASE_URL=postgresql+asyncpg://tsuen:tsuen@127.0.0.1:$PG_PORT/$svc
  for role in serve relay; do
    pidfile=$RUN/$svc-$role.pid
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then continue; fi
    args=("$role"); [ "$role" = serve ] && args+=(--port "$port")
    nohup uv run --frozen "tsuen-$svc" "${args[@]}" >"$LOGS/$svc-$role.log" 2>&1 &
    echo $! >"$pidfile"
  done
  port=$((port + 1))
done
for p in 8001 8002 8003 8004; do
  for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
done

cat <<MSG

tsuen is up (everything on 127.0.0.1):
  eligibility   http://127.0.0.1:8001   (/docs for the API, /healthz)
  booking       http://127.0.0.1:8002
  attendance    http://127.0.0.1:8003
  notification  http://127.0.0.1:8004
  Kafka         127.0.0.1:$KAFKA_PORT      topics: uv run tsuen-topics --bootstrap 127.0.0.1:$KAFKA_PORT
  PostgreSQL    127.0.0.1:$PG_PORT      user tsuen / tsuen, one database per service
  logs          $LOGS/<service>-serve.log, <service>-relay.log
  dev tokens    .tsuen/dev-tokens.env   (guardian, facility staff, two officers)
  demo data     deploy/demo/demo.yaml   (municipalities 131016 千代田区, 222135 掛川市)
Stop: scripts/down.sh
MSG
