#!/usr/bin/env bash
# The portal's third-party browser scripts (htmx), pinned in services/portal/package-lock.json,
# installed by npm into services/portal/node_modules (git-ignored). The portal serves them
# under /static/vendor/ when present and works without them (plain forms), so a missing
# install only loses the smoother page updates. Run by scripts/test.sh and
# scripts/build-service-images.sh; run it yourself after a fresh clone for local pages.
set -euo pipefail
cd "$(dirname "$0")/../services/portal"
command -v npm >/dev/null 2>&1 || { echo "npm is missing: scripts/bootstrap.sh installs it" >&2; exit 1; }
# --ignore-scripts: nothing from the registry runs here; ci: exactly the lock file.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
test -f node_modules/htmx.org/dist/htmx.min.js
