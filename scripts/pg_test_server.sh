#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests of the PostgreSQL catalog backend (catalog/postgres/).
#
#   scripts/pg_test_server.sh start DIR   initdb into DIR (if empty), start on a free port, print the URL
#   scripts/pg_test_server.sh url DIR     print the URL of the server running in DIR
#   scripts/pg_test_server.sh stop DIR    stop it (the data stays in DIR; delete DIR yourself)
#
# The server listens on 127.0.0.1 only (no Unix socket outside DIR), trusts TCP connections from 127.0.0.1 for
# the role `postgres` (test only: no passwords), and runs as the Debian `postgres` system user when started by
# root (PostgreSQL refuses to run as root); DIR is chowned to it. The printed URL names the maintenance database
# `postgres`; tests create one database each from it. Environment: PG_BIN (default /usr/lib/postgresql/15/bin),
# PG_SHARED_BUFFERS (default 32MB; benchmarks over large catalogs give it more).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|url DIR" >&2
  exit 2
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

url_of() {
  local port
  port="$(cat "$dir/port")"
  echo "postgresql://postgres@127.0.0.1:${port}/postgres"
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
      # Only local TCP from 127.0.0.1 (and the private socket directory) may connect, without a password.
      cat >"$dir/data/pg_hba.conf" <<'EOF'
local all postgres trust
host  all postgres 127.0.0.1/32 trust
EOF
    fi
    port="$(free_port)"
    echo "$port" >"$dir/port"
    mkdir -p "$dir/socket"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/socket" "$dir/port"; fi
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/socket -c fsync=off \
          -c max_connections=200 -c shared_buffers=${PG_SHARED_BUFFERS:-32MB}" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    url_of
    ;;
  url)
    url_of
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 30 -m fast stop >/dev/null
    fi
    ;;
  *)
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
    ;;
esac
