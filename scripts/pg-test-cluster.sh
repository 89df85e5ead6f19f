#!/usr/bin/env bash
# Throw-away PostgreSQL cluster on loopback for the store/server tests.
#   eval "$(bash scripts/pg-test-cluster.sh start)"   # exports TUOKE_PG_URL
#   bash scripts/pg-test-cluster.sh stop
# Uses Debian's postgresql package (initdb/pg_ctl under /usr/lib/postgresql/*/bin). Runs the server as the
# `postgres` user when invoked as root. State lives in ${TUOKE_PG_DIR:-/tmp/tuoke-pg}.
set -euo pipefail
DIR="${TUOKE_PG_DIR:-/tmp/tuoke-pg}"
PORT="${TUOKE_PG_PORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    if [ -f "$DIR/data/postmaster.pid" ]; then as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$DIR"; mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync >/dev/null
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=300" start >/dev/null
    as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE tuoke_test" >/dev/null
    echo "export TUOKE_PG_URL=postgres://postgres@127.0.0.1:$PORT/tuoke_test"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
