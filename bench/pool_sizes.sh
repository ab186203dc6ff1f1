#!/usr/bin/env bash
# bench/pool_sizes.sh — Keel's authenticated API at several DATABASE_POOL_SIZE values.
#
#   bench/pool_sizes.sh                          # pool sizes 1 2 4 8 16, SQLite
#   POOL_SIZES="2 4 8" DURATION=5 bench/pool_sizes.sh
#   KEEL_DATABASE_URL=postgresql://… bench/pool_sizes.sh
#
# One Keel (one worker, production settings as in bench/api.sh) per pool size, started fresh,
# loaded with the shared load script's scenarios (users/me, items list, items create) at 64
# connections: server on CPU 0, wrk on CPU 1. Prints one line per pool size and scenario, and the
# pool's own counters afterwards (acquire timeouts would mean the pool is too small for the load).
set -euo pipefail
cd "$(dirname "$0")/.."

POOL_SIZES="${POOL_SIZES:-1 2 4 8 16}"
export DURATION="${DURATION:-5}" CONNECTIONS="${CONNECTIONS:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
export LOAD_CPU="${LOAD_CPU:-1}"
KEEL="${KEEL:-build/release/keel}"
BENCH_DIR="${BENCH_DIR:-../shared/bench}"
KEEL_PORT=18004
SCENARIOS="me items_list items_create"
work="$(mktemp -d /tmp/keel-bench-pool.XXXXXX)"
keel_pid=""
cleanup() { [[ -n "$keel_pid" ]] && kill "$keel_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

[[ -x "$KEEL" ]] || { echo "build first: make build" >&2; exit 1; }
KEEL="$(realpath "$KEEL")"
[[ -x "$BENCH_DIR/bench.sh" ]] || { echo "the shared load script is missing: set BENCH_DIR" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: KEEL_SETUP_BENCH=1 scripts/setup" >&2; exit 1; }

wait_for() { for _ in $(seq 1 100); do curl -fso /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
metric() { curl -fs -H "Authorization: Bearer bench-metrics-token" "http://127.0.0.1:$KEEL_PORT/metrics" | awk -v m="$1" 'index($0, m) == 1 {print $2; exit}'; }

echo "pool scenario       rps        p50_ms  p99_ms  non2xx"
for pool in $POOL_SIZES; do
  rm -rf "$work/keel" && mkdir -p "$work/keel"
  (cd "$work/keel" && APP_ENV=production PORT=$KEEL_PORT HOST=127.0.0.1 WORKERS=1 JOB_WORKERS=1 \
    DATABASE_POOL_SIZE="$pool" \
    SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
    DATA_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
    TRUSTED_HOSTS=127.0.0.1 TRUSTED_PROXIES=127.0.0.1 DOCS_ENABLED=false METRICS_TOKEN=bench-metrics-token \
    DATABASE_URL="${KEEL_DATABASE_URL:-sqlite:///$work/keel/keel.db}" RATE_LIMIT_PER_MINUTE=1000000000 \
    RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    exec taskset -c "$SERVER_CPU" "$KEEL" serve --migrate >"$work/keel.log" 2>&1) &
  keel_pid=$!
  wait_for "http://127.0.0.1:$KEEL_PORT/health"
  SCENARIOS="$SCENARIOS" SERVER_CPU="$SERVER_CPU" "$BENCH_DIR/bench.sh" "http://127.0.0.1:$KEEL_PORT" 2>/dev/null |
    awk -v p="$pool" '$2 != "rps" {printf "%-4s %-14s %-10s %-7s %-7s %s\n", p, $1, $2, $3, $4, $5}'
  echo "     pool counters: acquire_timeouts=$(metric 'db_pool_acquire_timeouts_total{pool="primary"}')" \
    "waiting_now=$(metric 'db_pool_waiting{pool="primary"}')"
  kill "$keel_pid"; wait "$keel_pid" 2>/dev/null || true; keel_pid=""
done
