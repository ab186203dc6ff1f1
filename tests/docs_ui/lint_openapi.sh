#!/usr/bin/env bash
# Lints the OpenAPI document that `keel openapi` prints, with Redocly CLI
# (installed by `npm ci`, run offline), for two route tables: the test profile
# (demo routes included) and a production-like one (no demo routes, metrics
# behind METRICS_TOKEN). Any lint error fails.
#   KEEL_BINARY=build/release/keel KEEL_SOURCE_DIR=. tests/docs_ui/lint_openapi.sh
set -euo pipefail

keel=$(realpath "${KEEL_BINARY:?set KEEL_BINARY to the keel executable}")
source_dir=${KEEL_SOURCE_DIR:?set KEEL_SOURCE_DIR to the source tree}
redocly="$source_dir/node_modules/.bin/redocly"
if [[ ! -x "$redocly" ]]; then
  echo "lint_openapi: $redocly is missing: run scripts/setup (npm ci)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A clean environment, so the developer's shell cannot change the route table.
run_keel() { env -i PATH="$PATH" HOME="$work" "$@" "$keel" openapi; }
run_keel APP_ENV=test >test.json
run_keel APP_ENV=production SECRET_KEY="lint-only-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  METRICS_TOKEN=lint-only-metrics-token DATABASE_URL="sqlite:///$work/keel.db" >production.json

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
for doc in test.json production.json; do
  echo "== redocly lint ($doc)"
  "$redocly" lint --config "$source_dir/tests/docs_ui/redocly.yaml" "$doc"
done
