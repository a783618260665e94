#!/bin/bash
# Entrypoint of tsuen/postgres: initdb on first start (empty $PGDATA), then PostgreSQL 15
# in the foreground. Ready when the log says "database system is ready to accept connections".
#
# Environment (same names as the official postgres image):
#   POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB  superuser, its password, a database
#                                                   owned by it (defaults tsuen/tsuen/tsuen)
#   POSTGRES_INITDB_ARGS                            extra initdb arguments
#   POSTGRES_FAST=1   fsync=off, synchronous_commit=off, full_page_writes=off: fast, but a
#                     crash loses data. Only for throwaway test databases.
#   POSTGRES_MAX_CONNECTIONS (default 300)
# Host (TCP) connections need the password (scram-sha-256); the unix socket inside the
# container is trusted (docker exec ... psql). Extra container arguments go to postgres
# (e.g. `-c log_statement=all`).
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
POSTGRES_USER=${POSTGRES_USER:-tsuen}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-tsuen}
POSTGRES_DB=${POSTGRES_DB:-tsuen}

if [ "$(id -u)" = 0 ]; then
  echo "entrypoint: refusing to run PostgreSQL as root (run as the image's postgres user)" >&2
  exit 1
fi
if [ -z "$POSTGRES_PASSWORD" ]; then
  echo "entrypoint: POSTGRES_PASSWORD must not be empty" >&2
  exit 1
fi

mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "entrypoint: initdb in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 \
    ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  cat >>"$PGDATA/pg_hba.conf" <<HBA

# tsuen: password connections from anywhere the published port lets through
host    all             all             0.0.0.0/0               scram-sha-256
host    all             all             ::/0                    scram-sha-256
HBA
  if [ "$POSTGRES_DB" != postgres ]; then
    db_ident=${POSTGRES_DB//\"/\"\"}
    echo "CREATE DATABASE \"$db_ident\";" \
      | postgres --single -D "$PGDATA" -c fsync=off postgres >/dev/null
  fi
fi

args=(
  -c listen_addresses='*'
  -c "max_connections=${POSTGRES_MAX_CONNECTIONS:-300}"
  -c unix_socket_directories=/var/run/postgresql
)
if [ "${POSTGRES_FAST:-0}" = 1 ]; then
  args+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
  echo "entrypoint: POSTGRES_FAST=1: fsync=off (throwaway data only)"
fi

exec postgres -D "$PGDATA" "${args[@]}" "$@"
