#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL 15 for the test suites.
#
#   tests/support/postgres.sh start STATE_DIR [PORT|auto]   # prints the URL
#   tests/support/postgres.sh stop STATE_DIR [--keep]       # --keep: restartable by `start`
#   tests/support/postgres.sh url STATE_DIR                 # prints the URL again
#   tests/support/postgres.sh run STATE_DIR CMD [ARGS...]   # runs CMD with KEEL_TEST_POSTGRES_URL,
#                                                           # _DIR and _SCRIPT set (ctest uses this)
#
# STATE_DIR holds what stop needs (datadir, port, url). The cluster itself
# lives in a fresh /tmp directory owned by the `postgres` user, because initdb
# refuses to run as root and the postgres user must be able to reach it. The
# server listens on 127.0.0.1 only, uses trust auth (nothing else can reach
# it) and runs without fsync: it is thrown away at the end. A second `start`
# on the same STATE_DIR restarts the same cluster on the same port (the fault
# tests stop and start it to simulate an outage).
set -euo pipefail

pg_bin=${KEEL_PG_BIN:-/usr/lib/postgresql/15/bin}

usage() {
  echo "usage: $0 start STATE_DIR [PORT|auto] | stop STATE_DIR [--keep] | url STATE_DIR | run STATE_DIR CMD..." >&2
  exit 64
}

# as_owner runs a command as the cluster owner: postgres when we are root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() {
  local datadir=$1 port=$2 log=$3
  as_owner "$pg_bin/pg_ctl" -D "$datadir" -l "$log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
}

cmd_start() {
  local state=$1 port=${2:-auto}
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  local datadir log
  if [[ -f "$state/datadir" && -f "$state/port" && -s "$(cat "$state/datadir")/PG_VERSION" ]]; then
    datadir=$(cat "$state/datadir")   # restart of an existing cluster
    port=$(cat "$state/port")
    if as_owner "$pg_bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
      cat "$state/url"                # still running (an earlier run was interrupted)
      return 0
    fi
  else
    datadir=$(mktemp -d /tmp/keel-pg.XXXXXX)
    [[ $(id -u) -ne 0 ]] || chown postgres: "$datadir"
    chmod 700 "$datadir"
    as_owner "$pg_bin/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$state/initdb.log" 2>&1 || { cat "$state/initdb.log" >&2; exit 1; }
    echo "$datadir" >"$state/datadir"
  fi
  # The server log lives beside the cluster: the owner can always write there.
  log="$datadir/server.log"
  local _
  for _ in 1 2 3 4 5; do
    local candidate=$port
    if [[ "$port" == auto ]]; then
      candidate=$((20000 + RANDOM % 30000))
      if port_in_use "$candidate"; then continue; fi
    fi
    if start_server "$datadir" "$candidate" "$log"; then
      echo "$candidate" >"$state/port"
      local url="postgresql://postgres@127.0.0.1:$candidate/postgres?sslmode=disable"
      echo "$url" >"$state/url"
      echo "$url"
      return 0
    fi
    [[ "$port" == auto ]] || break
  done
  echo "postgres.sh: could not start PostgreSQL (see $log)" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

cmd_stop() {
  local state=$1 remove=${2:-}
  [[ -f "$state/datadir" ]] || return 0
  local datadir
  datadir=$(cat "$state/datadir")
  if [[ -f "$datadir/postmaster.pid" ]]; then
    as_owner "$pg_bin/pg_ctl" -D "$datadir" -m fast -w -t 30 stop >/dev/null
  fi
  if [[ "$remove" != --keep ]]; then
    rm -rf "$datadir"
    rm -f "$state/datadir" "$state/port" "$state/url"
  fi
}

cmd_run() {
  local state=$1
  shift
  [[ $# -ge 1 ]] || usage
  [[ -f "$state/url" ]] || { echo "postgres.sh: no server in $state (run start first)" >&2; exit 1; }
  KEEL_TEST_POSTGRES_URL=$(cat "$state/url")
  KEEL_TEST_POSTGRES_DIR=$(cd "$state" && pwd)
  KEEL_TEST_POSTGRES_SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
  export KEEL_TEST_POSTGRES_URL KEEL_TEST_POSTGRES_DIR KEEL_TEST_POSTGRES_SCRIPT
  exec "$@"
}

[[ $# -ge 2 ]] || usage
command=$1
shift
case $command in
  start) cmd_start "$1" "${2:-auto}" ;;
  stop) cmd_stop "$1" "${2:-}" ;;
  url) cat "$1/url" ;;
  run) cmd_run "$@" ;;
  *) usage ;;
esac
