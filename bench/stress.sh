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
SERVER_CPU="${SERVER_CPU:-0}"
export LOAD_CPU="${LOAD_CPU:-1}"
KEEL="${KEEL:-build/release/keel}"
BENCH_DIR="${BENCH_DIR:-../shared/bench}"
KEEL_PORT=18005
work="$(mktemp -d /tmp/keel-bench-stress.XXXXXX)"
keel_pid=""
cleanup() { [[ -n "$keel_pid" ]] && kill "$keel_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

[[ -x "$KEEL" ]] || { echo "build first: make build" >&2; exit 1; }
KEEL="$(realpath "$KEEL")"
[[ -x "$BENCH_DIR/bench.sh" ]] || { echo "the shared load script is missing: set BENCH_DIR" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: KEEL_SETUP_BENCH=1 scripts/setup" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

wait_for() { for _ in $(seq 1 100); do curl -fso /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
metric_sum() {  # metric_sum PREFIX [LABEL]: the sum of the series starting with PREFIX (and holding LABEL)
  curl -fs -H "Authorization: Bearer bench-metrics-token" "http://127.0.0.1:$KEEL_PORT/metrics" |
    awk -v m="$1" -v l="${2:-}" 'index($0, m) == 1 && index($0, l) {s += $NF} END {printf "%d", s}'
}

(cd "$work" && APP_ENV=production PORT=$KEEL_PORT HOST=127.0.0.1 WORKERS=1 JOB_WORKERS=1 \
  SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
  DATA_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  TRUSTED_HOSTS=127.0.0.1 TRUSTED_PROXIES=127.0.0.1 DOCS_ENABLED=false METRICS_TOKEN=bench-metrics-token \
  DATABASE_URL="sqlite:///$work/keel.db" RATE_LIMIT_PER_MINUTE=1000000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
  exec taskset -c "$SERVER_CPU" "$KEEL" serve --migrate >"$work/keel.log" 2>&1) &
keel_pid=$!
wait_for "http://127.0.0.1:$KEEL_PORT/health"

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
  echo "  $status: $(metric_sum "http_requests_total{" "status=\"$status\"")"
done
echo "  database pool acquire timeouts: $(metric_sum 'db_pool_acquire_timeouts_total')"
echo "  peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$keel_pid/status")"
echo "  keel still serving: $(curl -fs "http://127.0.0.1:$KEEL_PORT/health")"
