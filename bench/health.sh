#!/usr/bin/env bash
# bench/health.sh — GET /health: Keel (one worker) against nginx (one worker) on the same core.
#
#   bench/health.sh                 # 3 alternating rounds, 8 s each, 64 connections
#   ROUNDS=5 DURATION=10 bench/health.sh
#
# Server on CPU 0, wrk on CPU 1 (taskset). Keel runs as in production: APP_ENV=production,
# JSON access log on (to a file, as a log shipper would read it), security headers on.
# Prints one line per run and the medians; writes nothing else. Needs wrk and nginx
# (scripts/setup installs them with KEEL_SETUP_BENCH=1).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-8}"
CONNECTIONS="${CONNECTIONS:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
KEEL_PORT=18003
NGINX_PORT=18002
# shellcheck source=bench/keel_bench.sh
source bench/keel_bench.sh
work="$(mktemp -d /tmp/keel-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

[[ -x "$KEEL" ]] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: KEEL_SETUP_BENCH=1 scripts/setup" >&2; exit 1; }

rss_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

start_nginx() {
  mkdir -p "$work/nginx"/{client_body,proxy,fastcgi,uwsgi,scgi}
  taskset -c "$SERVER_CPU" nginx -p "$work/nginx/" -e "$work/nginx/error.log" -c "$PWD/bench/nginx_health.conf" &
  pids+=($!); nginx_pid=$!
  wait_for "http://127.0.0.1:$NGINX_PORT/health"
}

run_wrk() {  # run_wrk URL → "rps p50 p99 errors"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d1s "$1" >/dev/null  # warm-up
  taskset -c "$LOAD_CPU" timeout $((DURATION + 20)) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s bench/wrk_result.lua "$1" | awk '/^RESULT/ {print $4, $5, $6, $8 + $9}'
}

start_bench_keel "$work/keel" "$KEEL_PORT"
pids+=("$keel_pid")
start_nginx
echo "server        round  rps        p50_ms  p99_ms  errors"
keel_runs=(); nginx_runs=()
for round in $(seq 1 "$ROUNDS"); do
  read -r rps p50 p99 err < <(run_wrk "http://127.0.0.1:$KEEL_PORT/health")
  printf "keel          %-6s %-10s %-7s %-7s %s\n" "$round" "$rps" "$p50" "$p99" "$err"
  keel_runs+=("$rps $p99")
  read -r rps p50 p99 err < <(run_wrk "http://127.0.0.1:$NGINX_PORT/health")
  printf "nginx         %-6s %-10s %-7s %-7s %s\n" "$round" "$rps" "$p50" "$p99" "$err"
  nginx_runs+=("$rps $p99")
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
keel_rps=$(printf '%s\n' "${keel_runs[@]}" | cut -d' ' -f1 | median)
keel_p99=$(printf '%s\n' "${keel_runs[@]}" | cut -d' ' -f2 | median)
nginx_rps=$(printf '%s\n' "${nginx_runs[@]}" | cut -d' ' -f1 | median)
nginx_p99=$(printf '%s\n' "${nginx_runs[@]}" | cut -d' ' -f2 | median)
echo "median keel  rps=$keel_rps p99_ms=$keel_p99 peak_rss_mib=$(rss_mib "$keel_pid")"
echo "median nginx rps=$nginx_rps p99_ms=$nginx_p99 peak_rss_mib=$(rss_mib "$(pgrep -P "$nginx_pid" | head -1)")"
awk -v k="$keel_rps" -v n="$nginx_rps" 'BEGIN {printf "ratio keel/nginx = %.2f (target >= 0.60)\n", k/n}'
echo "access log lines written by keel: $(wc -l <"$work/keel/keel.log")"
