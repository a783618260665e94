#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine:
#   installs the Docker engine, Java/Maven and uv if missing, builds the test-bed images
#   (Kafka, PostgreSQL) locally and helm from source, then runs lint, type checks, the Helm
#   chart checks, unit, integration and end-to-end tests, and a smoke test of the compose stack
#   built from the service images. Fails on the first failing step. It uses ports 8001-8004,
#   8025, 1025, 15432 and 19092 for the compose stack: stop a running dev stack first.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k dead_letter`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "bootstrap: system packages, Docker engine, uv"
scripts/bootstrap.sh

# helm compiles from source (minutes on a fresh machine): build it while the rest runs.
mkdir -p .tsuen/logs
scripts/install-helm.sh >.tsuen/logs/install-helm.log 2>&1 &
helm_build=$!

step "build test-bed images"
scripts/build-images.sh

step "python environment (uv, locked)"
export UV_PYTHON_DOWNLOADS=never
uv sync --frozen --all-packages

step "browser scripts (npm, locked): htmx for the portal"
scripts/install-browser-scripts.sh

step "lint (ruff)"
uv run ruff check .
uv run ruff format --check .

step "types (mypy)"
uv run mypy

step "deploy: helm lint, render, validate manifests"
wait "$helm_build" || { cat .tsuen/logs/install-helm.log >&2; exit 1; }
scripts/check-helm.sh

step "tests: unit and integration (real Kafka and PostgreSQL in containers)"
export TESTCONTAINERS_RYUK_DISABLED=true TC_HOST=127.0.0.1
uv run pytest --timeout=600 "$@"

# The compose stack (the images ops run), smoke-tested through 127.0.0.1. Skipped only when
# pytest was asked for a subset (extra arguments), to keep a focused run focused.
if [ $# -eq 0 ]; then
  step "compose smoke test: application → certification → booking → e-mail"
  scripts/smoke.sh
fi
