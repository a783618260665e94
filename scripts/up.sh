#!/usr/bin/env bash
# Bring the whole platform up locally with demo data (docker-compose, images built here):
#   Kafka, PostgreSQL (one database per service), topics, a mail catcher, the six services
#   (each: HTTP API + outbox relay + consumers, migrations applied at start), the demo
#   facilities, the demo guardians (certified through the real flow, accepted at a facility),
#   staff and officers who can log in to the portal, and dev tokens. All on 127.0.0.1.
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
uv run --frozen python scripts/devstack.py identity-key
"${COMPOSE[@]}" up -d --remove-orphans
for svc in eligibility booking attendance notification identity portal billing; do
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
# Staff of every demo facility and an officer per municipality (an existing one is left alone).
uv run --frozen python - <<'PY' | while read -r args; do
import yaml
demo = yaml.safe_load(open("deploy/demo/demo.yaml", encoding="utf-8"))
for s in demo["staff"]:
    print(f"--role facility_staff --municipality {s['municipality']} --facility-id {s['facility']} --email {s['email']}")
for o in demo["officers"]:
    print(f"--role municipality_officer --municipality {o['municipality']} --email {o['email']}")
PY
  # shellcheck disable=SC2086
  "${COMPOSE[@]}" exec -T identity tsuen-identity create-account $args </dev/null >/dev/null 2>&1 || true
done
uv run --frozen python scripts/demo_people.py
uv run --frozen python scripts/devstack.py tokens

cat <<MSG

tsuen is up (everything on 127.0.0.1):
  portal        http://127.0.0.1:8006           the pages: log in with a demo account below
  eligibility   http://127.0.0.1:8001/docs
  booking       http://127.0.0.1:8002/docs
  attendance    http://127.0.0.1:8003/docs   (facility display page: see docs/attendance.md)
  notification  http://127.0.0.1:8004/docs
  identity      http://127.0.0.1:8005/docs   (accounts, login, JWKS)
  billing       http://127.0.0.1:8007/docs   (利用実績, claims, statements; in the portal: /statements, /staff/claims, /officer/claims after tsuen-billing close)
  mail catcher  http://127.0.0.1:8025        every e-mail the platform sends
  Kafka         127.0.0.1:$TSUEN_DEV_KAFKA_PORT
  PostgreSQL    127.0.0.1:$TSUEN_DEV_POSTGRES_PORT  (tsuen/tsuen; one database per service)
  dev tokens    .tsuen/dev-tokens.env       (guardian, facility staff, officers of 131016 and 222135)
  demo data     deploy/demo/demo.yaml       (千代田区 131016, 掛川市 222135)
Demo accounts (password for all: tsuen-demo-2026; log in at http://127.0.0.1:8006/login):
  guardian, 掛川市   demo.hogosha@example.jp    child accepted at かけがわ中央保育園: book at once
  guardian, 千代田区 demo.chiyoda@example.jp    child accepted at かんだ保育園
  staff              staff.kanda@example.jp, staff.kakegawa@example.jp (one per demo facility)
  officers           officer.chiyoda@example.jp, officer.kakegawa@example.jp
                     (first login: scan the QR code with an authenticator app)
Try first: log in as demo.hogosha@example.jp and open the home page (hours left, 認定証).
Logs: ${COMPOSE[*]} logs -f <service>     Stop: scripts/down.sh
MSG
