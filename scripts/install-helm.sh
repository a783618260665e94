#!/usr/bin/env bash
# Builds helm into .tsuen/bin from source through the Go module proxy (no release downloads
# are reachable here). Idempotent; a few minutes on a fresh machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/.tsuen/bin
HELM_VERSION=${TSUEN_HELM_VERSION:-v3.19.0}
if [ -x "$BIN/helm" ] && "$BIN/helm" version --short | grep -q "${HELM_VERSION%.*}"; then
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "install-helm: Go is needed (go install helm.sh/helm/v3/cmd/helm)" >&2; exit 1; }
mkdir -p "$BIN"
echo "install-helm: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
GOBIN=$BIN go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
"$BIN/helm" version --short
