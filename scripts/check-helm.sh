#!/usr/bin/env bash
# Lints the Helm chart, renders it with the defaults and with the production-like example, and
# validates every rendered manifest offline against the Kubernetes schemas (strict).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
HELM=${HELM:-$ROOT/.tsuen/bin/helm}
KUBE_VERSION=${TSUEN_KUBE_VERSION:-1.31.0}
CHART=deploy/helm/tsuen
OUT=.tsuen/helm
mkdir -p "$OUT"

"$HELM" lint --strict "$CHART"
"$HELM" lint --strict "$CHART" -f deploy/helm/examples/production.yaml
for values in default production; do
  args=()
  [ "$values" = production ] && args=(-f deploy/helm/examples/production.yaml)
  "$HELM" template tsuen "$CHART" --kube-version "$KUBE_VERSION" "${args[@]}" >"$OUT/$values.yaml"
  uv run --frozen kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/$values.yaml"
  echo "helm: $values values render $(grep -c '^kind:' "$OUT/$values.yaml") valid manifests"
done
