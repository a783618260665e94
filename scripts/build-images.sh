#!/usr/bin/env bash
# Builds the local test-bed images without any container registry (see docs/testbed.md):
#   tsuen/base:bookworm  debootstrap --variant=minbase bookworm + docker import
#   tsuen/kafka:4.1      deploy/images/kafka    (jars fetched on the host by Maven)
#   tsuen/postgres:15    deploy/images/postgres
#
# Usage: scripts/build-images.sh [--force] [base|kafka|postgres ...]
#   Without names: every image the test bed needs. An image is (re)built only when it is
#   missing or its content hash label (tsuen.content-hash: the image's build files and
#   its base) differs; --force rebuilds the named images regardless.
#
# Environment:
#   TSUEN_BASE_IMAGE      base image (default tsuen/base:bookworm). A name outside tsuen/
#                         (e.g. debian:bookworm-slim on a machine with a registry) is used
#                         as is, and no debootstrap runs.
#   TSUEN_KAFKA_IMAGE     default tsuen/kafka:4.1; a name outside tsuen/ is not built
#   TSUEN_POSTGRES_IMAGE  default tsuen/postgres:15; a name outside tsuen/ is not built
#   TSUEN_DEBIAN_MIRROR   Debian mirror for debootstrap (default: the host's apt sources)
#   TSUEN_M2_REPO         Maven local repository (default ~/.m2/repository)
#   DOCKER_BUILDKIT       default 0: the classic builder works with Debian's docker.io
#                         20.10 daemon and any client, without the buildx plugin.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.tsuen
CACHE=$STATE/cache
LOGS=$STATE/logs
IMAGES=$ROOT/deploy/images

BASE_IMAGE=${TSUEN_BASE_IMAGE:-tsuen/base:bookworm}
KAFKA_IMAGE=${TSUEN_KAFKA_IMAGE:-tsuen/kafka:4.1}
POSTGRES_IMAGE=${TSUEN_POSTGRES_IMAGE:-tsuen/postgres:15}
SUITE=bookworm
VARIANT=minbase
# Bump to force a new base image everywhere.
BASE_RECIPE=tsuen-base-v1
HASH_LABEL=tsuen.content-hash

export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

log() { printf '[build-images] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force|-f) force=1 ;;
    base|kafka|postgres) targets+=("$arg") ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(kafka postgres)
wants() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

mkdir -p "$CACHE" "$LOGS"
command -v docker >/dev/null || die "docker not found: run scripts/bootstrap.sh first"
docker info >/dev/null 2>&1 || die "docker daemon not reachable: run scripts/bootstrap.sh first"

sha() { sha256sum | cut -c1-64; }

# Hash of the files of an image directory (names + contents), ignoring downloaded material.
hash_dir() {
  (cd "$1" && find . -type f ! -path './libs/*' ! -path './wheels/*' -print0 \
      | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha
}

image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# Needs building: --force, missing image, or a different content hash.
needs_build() {
  local image=$1 hash=$2 current
  [ "$force" = 1 ] && return 0
  current=$(image_label "$image")
  [ "$current" != "$hash" ]
}

is_local_name() { case "$1" in tsuen/*) return 0 ;; *) return 1 ;; esac; }

# Mirror of the host's apt sources for $SUITE (deb822 .sources first, then sources.list).
detect_mirror() {
  if [ -n "${TSUEN_DEBIAN_MIRROR:-}" ]; then echo "$TSUEN_DEBIAN_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^#/) continue
          if (line ~ /^Types:/)   { sub(/^Types:[ \t]*/, "", line); types = line }
          if (line ~ /^URIs:/)    { sub(/^URIs:[ \t]*/, "", line); uris = line }
          if (line ~ /^Suites:/)  { sub(/^Suites:[ \t]*/, "", line); suites = line }
          if (line ~ /^Enabled:/) { sub(/^Enabled:[ \t]*/, "", line); enabled = tolower(line) }
        }
        if (enabled == "no") next
        n = split(types, t, /[ \t]+/); isdeb = 0
        for (i = 1; i <= n; i++) if (t[i] == "deb") isdeb = 1
        n = split(suites, s, /[ \t]+/); hit = 0
        for (i = 1; i <= n; i++) if (s[i] == suite) hit = 1
        if (isdeb && hit) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  if [ -r /etc/apt/sources.list ]; then
    uri=$(awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' /etc/apt/sources.list)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  fi
  echo "http://deb.debian.org/debian"
}

# ---------------------------------------------------------------------------------------
# base image
# ---------------------------------------------------------------------------------------
base_hash() {
  { echo "$BASE_RECIPE $SUITE $VARIANT"; hash_dir "$IMAGES/base"; } | sha
}

rootfs_dir=""
cleanup_rootfs() {
  if [ -n "$rootfs_dir" ] && [ -d "$rootfs_dir" ]; then
    # debootstrap may leave proc/sys mounted after a failure: unmount before deleting.
    awk -v d="$rootfs_dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r \
      | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$rootfs_dir"
  fi
}

build_base() {
  local hash=$1 mirror tarball start=$SECONDS
  tarball=$CACHE/base-$SUITE-${hash:0:16}.tar
  if [ "$force" = 0 ] && [ -s "$tarball" ]; then
    log "base: importing cached root file system $tarball"
  else
    command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] \
      || die "debootstrap not found: run scripts/bootstrap.sh first"
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    mirror=$(detect_mirror)
    rootfs_dir=$(mktemp -d "${TMPDIR:-/var/tmp}/tsuen-rootfs.XXXXXX")
    trap cleanup_rootfs EXIT
    log "base: debootstrap --variant=$VARIANT $SUITE from $mirror (log: $LOGS/base.log)"
    if ! PATH="$PATH:/usr/sbin:/sbin" debootstrap --variant="$VARIANT" "$SUITE" "$rootfs_dir" "$mirror" \
        >"$LOGS/base.log" 2>&1; then
      tail -n 30 "$LOGS/base.log" >&2
      die "base: debootstrap failed"
    fi
    bash "$IMAGES/base/setup-rootfs.sh" "$rootfs_dir" "$mirror" "$SUITE"
    rm -f "$CACHE"/base-"$SUITE"-*.tar
    tar --numeric-owner -C "$rootfs_dir" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    cleanup_rootfs
    rootfs_dir=""
  fi
  docker import \
    --change "LABEL $HASH_LABEL=$hash" \
    --change "ENV LANG=C.UTF-8" \
    --change 'CMD ["/bin/bash"]' \
    "$tarball" "$BASE_IMAGE" >/dev/null
  log "base: $BASE_IMAGE ready ($((SECONDS - start)) s)"
}

# ---------------------------------------------------------------------------------------
# Kafka jars (host-side Maven) and the two service images
# ---------------------------------------------------------------------------------------
# Exactly one slf4j-api, one SLF4J provider, no artifact twice. Prints the problem, returns 1.
check_kafka_libs() {
  local libs=$1 n_api n_provider dups
  n_api=$(find "$libs" -maxdepth 1 -name 'slf4j-api-*.jar' | wc -l)
  n_provider=$(find "$libs" -maxdepth 1 \( -name 'log4j-slf4j2-impl-*.jar' -o -name 'log4j-slf4j-impl-*.jar' \
      -o -name 'slf4j-simple-*.jar' -o -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' \
      -o -name 'logback-classic-*.jar' -o -name 'slf4j-jdk14-*.jar' -o -name 'slf4j-nop-*.jar' \) | wc -l)
  # The same artifact in two versions would put both on the classpath.
  dups=$(find "$libs" -maxdepth 1 -name '*.jar' -printf '%f\n' \
      | sed -E 's/-[0-9][^-]*(-[0-9A-Za-z.]+)*\.jar$//' | sort | uniq -d)
  if [ "$n_api" != 1 ]; then echo "expected one slf4j-api jar in $libs, found $n_api"; return 1; fi
  if [ "$n_provider" != 1 ]; then echo "expected one SLF4J provider jar in $libs, found $n_provider"; return 1; fi
  if [ -n "$dups" ]; then echo "duplicate artifacts in $libs: $dups"; return 1; fi
  if ! find "$libs" -maxdepth 1 -name 'kafka_2.13-*.jar' | grep -q .; then
    echo "kafka_2.13 jar missing in $libs"; return 1
  fi
}

fetch_kafka_libs() {
  local dir=$IMAGES/kafka libs=$IMAGES/kafka/libs stamp want start=$SECONDS
  stamp=$libs/.pom.sha256
  want=$(sha <"$dir/pom.xml")
  if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
      && check_kafka_libs "$libs" >/dev/null; then
    log "kafka: jars in $libs are current"
    return
  fi
  command -v mvn >/dev/null || die "mvn not found: run scripts/bootstrap.sh first"
  log "kafka: fetching jars with Maven (log: $LOGS/maven.log)"
  local tmp=$libs.tmp.$$
  rm -rf "$tmp"
  local repo_opt=()
  [ -z "${TSUEN_M2_REPO:-}" ] || repo_opt=("-Dmaven.repo.local=$TSUEN_M2_REPO")
  if ! mvn -B -q -f "$dir/pom.xml" "${repo_opt[@]}" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$LOGS/maven.log" 2>&1; then
    tail -n 30 "$LOGS/maven.log" >&2
    rm -rf "$tmp"
    die "kafka: Maven could not fetch the jars"
  fi
  local problem
  if ! problem=$(check_kafka_libs "$tmp"); then
    rm -rf "$tmp"
    die "kafka: bad classpath from pom.xml: $problem"
  fi
  rm -rf "$libs"
  mv "$tmp" "$libs"
  echo "$want" >"$stamp"
  log "kafka: $(find "$libs" -name '*.jar' | wc -l) jars, $(du -sh "$libs" | cut -f1) ($((SECONDS - start)) s)"
}

docker_build() {
  local name=$1 image=$2 hash=$3 dir=$4 start=$SECONDS
  log "$name: docker build -t $image (log: $LOGS/$name.log)"
  if ! docker build --pull=false --force-rm \
      --build-arg "BASE_IMAGE=$BASE_IMAGE" \
      --label "$HASH_LABEL=$hash" \
      -t "$image" "$dir" >"$LOGS/$name.log" 2>&1; then
    tail -n 40 "$LOGS/$name.log" >&2
    log "$name: docker build FAILED"
    return 1
  fi
  log "$name: $image ready ($((SECONDS - start)) s)"
}

# ---------------------------------------------------------------------------------------
total_start=$SECONDS

# Hashes of the images to build; children hash their base's hash (or image id).
if is_local_name "$BASE_IMAGE"; then
  b_hash=$(base_hash)
  base_ref=$b_hash
else
  b_hash=""
  base_ref=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || echo "$BASE_IMAGE")
fi
k_hash=$({ echo "base=$base_ref"; hash_dir "$IMAGES/kafka"; } | sha)
p_hash=$({ echo "base=$base_ref"; hash_dir "$IMAGES/postgres"; } | sha)

build_kafka=0 build_postgres=0 build_base_image=0
if wants kafka; then
  if ! is_local_name "$KAFKA_IMAGE"; then log "kafka: using $KAFKA_IMAGE as provided (not built)"
  elif needs_build "$KAFKA_IMAGE" "$k_hash"; then build_kafka=1
  else log "kafka: $KAFKA_IMAGE is up to date"; fi
fi
if wants postgres; then
  if ! is_local_name "$POSTGRES_IMAGE"; then log "postgres: using $POSTGRES_IMAGE as provided (not built)"
  elif needs_build "$POSTGRES_IMAGE" "$p_hash"; then build_postgres=1
  else log "postgres: $POSTGRES_IMAGE is up to date"; fi
fi
if is_local_name "$BASE_IMAGE"; then
  if wants base || [ $((build_kafka + build_postgres)) -gt 0 ]; then
    if needs_build "$BASE_IMAGE" "$b_hash"; then build_base_image=1
    else log "base: $BASE_IMAGE is up to date"; fi
  fi
fi

# Maven runs while debootstrap does (different resources: CPU vs. network/disk).
mvn_pid=""
if [ "$build_kafka" = 1 ]; then
  fetch_kafka_libs &
  mvn_pid=$!
fi
if [ "$build_base_image" = 1 ]; then
  build_base "$b_hash"
fi
if [ -n "$mvn_pid" ]; then
  wait "$mvn_pid" || die "kafka: fetching jars failed"
fi

# The two service images build in parallel (mostly apt downloads and unpacking).
pids=()
names=()
if [ "$build_kafka" = 1 ]; then
  docker_build kafka "$KAFKA_IMAGE" "$k_hash" "$IMAGES/kafka" &
  pids+=($!); names+=(kafka)
fi
if [ "$build_postgres" = 1 ]; then
  docker_build postgres "$POSTGRES_IMAGE" "$p_hash" "$IMAGES/postgres" &
  pids+=($!); names+=(postgres)
fi
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
[ ${#failed[@]} -eq 0 ] || die "build failed: ${failed[*]}"

if [ $((build_base_image + build_kafka + build_postgres)) -gt 0 ]; then
  docker image prune -f --filter "label=$HASH_LABEL" >/dev/null 2>&1 || true
fi
log "done in $((SECONDS - total_start)) s: $BASE_IMAGE $KAFKA_IMAGE $POSTGRES_IMAGE"
