#!/usr/bin/env bash
# bench/api.sh — the authenticated API: Keel (one worker) against the FastAPI peer (one worker),
# on the same core, with the shared load script (../shared/bench/bench.sh or BENCH_DIR).
#
#   bench/api.sh                                  # 3 alternating rounds, SQLite
#   ROUNDS=5 DURATION=10 bench/api.sh
#   KEEL_DATABASE_URL=postgresql://… bench/api.sh # Keel's reads on PostgreSQL (the peer stays on SQLite)
#
# Scenarios: GET /api/v1/users/me, GET /api/v1/items?limit=20, POST /api/v1/items, each with a
# bearer token (bench.sh registers a user and creates 100 items first). Server on CPU 0, wrk on
# CPU 1. Keel runs as in production: APP_ENV=production, JSON access log on, security headers
# on, rate limiter on with a budget the load cannot exhaust. Prints bench.sh's lines per run,
# then the medians and the Keel/FastAPI ratios against the targets (reads ≥ 20×, writes ≥ 10×).
# Needs wrk and Debian's python3-fastapi/uvicorn (KEEL_SETUP_BENCH=1 scripts/setup).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
export DURATION="${DURATION:-8}" CONNECTIONS="${CONNECTIONS:-64}"
KEEL_PORT=18003
SCENARIOS="me items_list items_create"
# shellcheck source=bench/keel_bench.sh
source bench/keel_bench.sh
work="$(mktemp -d /tmp/keel-bench-api.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
require_bench_tools

start_fastapi() {
  FRESH_DB=1 DATABASE_PATH="$work/fastapi.db" WORKERS=1 SERVER_CPU="$SERVER_CPU" \
    "$BENCH_DIR/run_fastapi.sh" >"$work/fastapi.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:18001/health"
}

start_bench_keel "$work/keel" "$KEEL_PORT"
pids+=("$keel_pid")
start_fastapi
: >"$work/results"
for _ in $(seq 1 "$ROUNDS"); do
  for server in keel fastapi; do
    url=http://127.0.0.1:$KEEL_PORT; [[ $server == fastapi ]] && url=http://127.0.0.1:18001
    SCENARIOS="$SCENARIOS" LABEL="$server" SERVER_CPU="$SERVER_CPU" "$BENCH_DIR/bench.sh" "$url" 2>/dev/null |
      tee -a "$work/results"
  done
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo
printf "%-14s %-10s %-10s %-9s %-9s %s\n" scenario keel_rps peer_rps ratio target keel_p99_ms
for scenario in $SCENARIOS; do
  keel_rps=$(awk -v s="$scenario" '$1 == "keel" && $2 == s {print $3}' "$work/results" | median)
  keel_p99=$(awk -v s="$scenario" '$1 == "keel" && $2 == s {print $5}' "$work/results" | median)
  peer_rps=$(awk -v s="$scenario" '$1 == "fastapi" && $2 == s {print $3}' "$work/results" | median)
  target=20; [[ $scenario == items_create ]] && target=10
  awk -v sc="$scenario" -v k="$keel_rps" -v p="$peer_rps" -v t="$target" -v l="$keel_p99" \
    'BEGIN {printf "%-14s %-10s %-10s %-9.1f >=%-7s %s\n", sc, k, p, (p > 0 ? k / p : 0), t, l}'
done

# Where Keel's database time went during the runs above: every statement's count and mean
# duration from its own /metrics (db_query_duration_seconds), slowest first.
echo
echo "keel database statements during the runs (from /metrics):"
printf "%-28s %-10s %s\n" statement count mean_ms
bench_metrics |
  awk '/^db_query_duration_seconds_(sum|count)\{/ {
         match($0, /statement="[^"]*"/); name = substr($0, RSTART + 11, RLENGTH - 12)
         if ($0 ~ /_sum\{/) sum[name] = $2; else count[name] = $2 }
       END { for (n in count) if (count[n] > 0) printf "%-28s %-10d %.3f\n", n, count[n], sum[n] / count[n] * 1000 }' |
  sort -k3 -rn
