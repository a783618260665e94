#!/usr/bin/env bash
# Stop what scripts/up.sh started. `scripts/down.sh --volumes` also deletes the data.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSUEN_JWT_SECRET=${TSUEN_JWT_SECRET:-unused-when-stopping}
if [ "${1:-}" = "--volumes" ]; then
  docker-compose -p tsuen down --volumes --remove-orphans
else
  docker-compose -p tsuen down --remove-orphans
fi
