# bench/keel_bench.sh — what the API benchmark scripts share; sourced, not run.
#
#   source bench/keel_bench.sh          # after `cd` to the repository root
#   require_bench_tools                 # Keel binary, the shared load script, wrk
#   start_bench_keel "$work/keel" 18004 DATABASE_POOL_SIZE=8   # sets keel_pid
#   bench_metric 'db_pool_waiting{pool="primary"}'
#
# Keel runs as in production: APP_ENV=production with real secrets, the JSON access log on
# (to a file), security headers on, rate limiting on with a budget the load cannot exhaust;
# one worker pinned to SERVER_CPU. KEEL_DATABASE_URL replaces its SQLite file.
# shellcheck shell=bash

SERVER_CPU="${SERVER_CPU:-0}"
export LOAD_CPU="${LOAD_CPU:-1}"
KEEL="$(realpath -m "${KEEL:-build/release/keel}")"  # absolute: Keel starts in its own directory
BENCH_DIR="${BENCH_DIR:-../shared/bench}"
BENCH_METRICS_TOKEN=bench-metrics-token

require_bench_tools() {
  [[ -x "$KEEL" ]] || { echo "build first: make build" >&2; exit 1; }
  [[ -x "$BENCH_DIR/bench.sh" ]] || { echo "the shared load script is missing: set BENCH_DIR" >&2; exit 1; }
  command -v wrk >/dev/null || { echo "wrk missing: KEEL_SETUP_BENCH=1 scripts/setup" >&2; exit 1; }
}

wait_for() {
  for _ in $(seq 1 100); do curl -fso /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  exit 1
}

# start_bench_keel DIR PORT [NAME=VALUE...] starts Keel in DIR (its database and working
# directory) on PORT with the extra settings, waits for /health, and sets keel_pid.
start_bench_keel() {
  local dir="$1" port="$2"
  shift 2
  mkdir -p "$dir"
  (cd "$dir" && exec env APP_ENV=production PORT="$port" HOST=127.0.0.1 WORKERS=1 JOB_WORKERS=1 \
    SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
    DATA_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
    TRUSTED_HOSTS=127.0.0.1 TRUSTED_PROXIES=127.0.0.1 DOCS_ENABLED=false METRICS_TOKEN="$BENCH_METRICS_TOKEN" \
    DATABASE_URL="${KEEL_DATABASE_URL:-sqlite:///$dir/keel.db}" RATE_LIMIT_PER_MINUTE=1000000000 \
    RATE_LIMIT_AUTH_PER_MINUTE=1000000 "$@" \
    taskset -c "$SERVER_CPU" "$KEEL" serve --migrate >"$dir/keel.log" 2>&1) &
  # shellcheck disable=SC2034  # keel_pid is for the sourcing script
  keel_pid=$!
  bench_port="$port"
  wait_for "http://127.0.0.1:$port/health"
}

# bench_metrics prints the running Keel's /metrics.
bench_metrics() {
  curl -fs -H "Authorization: Bearer $BENCH_METRICS_TOKEN" "http://127.0.0.1:$bench_port/metrics"
}

# bench_metric PREFIX [LABEL] prints the sum of the series whose line starts with PREFIX (and holds LABEL).
bench_metric() {
  bench_metrics | awk -v m="$1" -v l="${2:-}" 'index($0, m) == 1 && index($0, l) {s += $NF} END {printf "%d", s}'
}
