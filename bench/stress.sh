#!/usr/bin/env bash
# bench/stress.sh — Keel past saturation: where it stops keeping up, and how it fails.
#
#   bench/stress.sh                                   # 64 → 4096 connections
#   LEVELS="256 1024" DURATION=5 bench/stress.sh
#
# One Keel (one worker on CPU 0, production settings as in bench/api.sh, default limits:
# MAX_IN_FLIGHT=512, HANDLER_TIMEOUT_MS, DATABASE_TIMEOUT_MS) under the shared load script's
# users/me and items-create scenarios at rising connection counts (wrk on CPU 1). After each
# level it times one GET /health from a fresh connection and reads Keel's own counters. What to
# look for: throughput flat past saturation (no collapse), excess load refused as 503 (never a
# 500 or a dropped connection), latency bounded by the queue, /health still prompt, RSS bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

LEVELS="${LEVELS:-64 512 1024 4096}"
export DURATION="${DURATION:-5}" WRK_TIMEOUT="${WRK_TIMEOUT:-10}"
KEEL_PORT=18005
# shellcheck source=bench/keel_bench.sh
source bench/keel_bench.sh
work="$(mktemp -d /tmp/keel-bench-stress.XXXXXX)"
keel_pid=""
cleanup() { [[ -n "$keel_pid" ]] && kill "$keel_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
require_bench_tools
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
start_bench_keel "$work" "$KEEL_PORT"

echo "conns scenario       rps        p50_ms  p99_ms  non2xx  sock_err  rss_mib  health_ms"
for level in $LEVELS; do
  CONNECTIONS="$level" SCENARIOS="me items_create" SERVER_CPU="$SERVER_CPU" \
    "$BENCH_DIR/bench.sh" "http://127.0.0.1:$KEEL_PORT" 2>/dev/null |
    awk '$2 != "rps"' >"$work/level"
  health_ms=$(curl -fso /dev/null -w '%{time_total}' "http://127.0.0.1:$KEEL_PORT/health" | awk '{printf "%.1f", $1 * 1000}')
  awk -v c="$level" -v h="$health_ms" \
    '{printf "%-5s %-14s %-10s %-7s %-7s %-7s %-9s %-8s %s\n", c, $1, $2, $3, $4, $5, $6, $7, h}' "$work/level"
done
echo
echo "keel's answers by status over the whole run (http_requests_total):"
for status in 200 201 500 503 504; do
  echo "  $status: $(bench_metric "http_requests_total{" "status=\"$status\"")"
done
echo "  database pool acquire timeouts: $(bench_metric 'db_pool_acquire_timeouts_total')"
echo "  peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$keel_pid/status")"
echo "  keel still serving: $(curl -fs "http://127.0.0.1:$KEEL_PORT/health")"
