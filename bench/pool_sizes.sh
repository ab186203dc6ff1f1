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
KEEL_PORT=18004
SCENARIOS="me items_list items_create"
# shellcheck source=bench/keel_bench.sh
source bench/keel_bench.sh
work="$(mktemp -d /tmp/keel-bench-pool.XXXXXX)"
keel_pid=""
cleanup() { [[ -n "$keel_pid" ]] && kill "$keel_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
require_bench_tools

echo "pool scenario       rps        p50_ms  p99_ms  non2xx"
for pool in $POOL_SIZES; do
  rm -rf "$work/keel"
  start_bench_keel "$work/keel" "$KEEL_PORT" DATABASE_POOL_SIZE="$pool"
  SCENARIOS="$SCENARIOS" SERVER_CPU="$SERVER_CPU" "$BENCH_DIR/bench.sh" "http://127.0.0.1:$KEEL_PORT" 2>/dev/null |
    awk -v p="$pool" '$2 != "rps" {printf "%-4s %-14s %-10s %-7s %-7s %s\n", p, $1, $2, $3, $4, $5}'
  echo "     pool counters: acquire_timeouts=$(bench_metric 'db_pool_acquire_timeouts_total{pool="primary"}')" \
    "waiting_now=$(bench_metric 'db_pool_waiting{pool="primary"}')"
  kill "$keel_pid"; wait "$keel_pid" 2>/dev/null || true; keel_pid=""
done
