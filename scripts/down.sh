#!/usr/bin/env bash
# Stop what scripts/up.sh started. `scripts/down.sh --volumes` also deletes the data.
set -euo pipefail
cd "$(dirname "$0")/.."
for pidfile in .tsuen/run/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # uv run starts the service as a child: stop the whole process group's children too.
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  rm -f "$pidfile"
done
if [ "${1:-}" = "--volumes" ]; then
  docker-compose -p tsuen down --volumes
else
  docker-compose -p tsuen down
fi
