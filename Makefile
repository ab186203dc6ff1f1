# Keel — the two commands of the README, and the steps they are made of.
#   make run    set up, build (release), migrate the SQLite database, serve on 127.0.0.1:8000
#   make test   set up, build, run every test suite (release, then asan+ubsan, then tsan)
# Both are idempotent: a second run only rebuilds what changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help
KEEL := build/release/keel
TSAN_TARGETS := keel_http_test keel_observability_test keel_db_test

.PHONY: help setup build run lint test test-release test-deploy test-asan test-tsan test-deploy-image format clean

help:
	@echo "make run    - set up, build and serve on http://127.0.0.1:8000 (development, SQLite)"
	@echo "make test   - set up, build and run every test (unit, black-box, asan, tsan)"

setup:
	@bash scripts/setup

build/%/build.ninja:
	@cmake --preset $* >/dev/null

build: setup build/release/build.ninja
	@cmake --build --preset release

run: build
	@mkdir -p data
	@$(KEEL) migrate up
	@exec $(KEEL) serve

# Static analysis and linters (scripts/lint; scope and levels in docs/ci.md).
lint:
	@bash scripts/lint

test: setup lint test-release test-deploy test-asan test-tsan
	@echo "make test: all suites passed"

test-release: build/release/build.ninja
	@cmake --build --preset release
	@ctest --preset release --output-on-failure

# AddressSanitizer + UBSan on everything that runs Keel's own code paths; the
# suites that only repeat them on another database or drive external tools
# (PostgreSQL black-box rerun, nginx, the browser, the OpenAPI linter) run in
# the release pass only.
ASAN_SKIP := ^(blackbox\.postgres|deploy\..*|openapi\.docs_ui|openapi\.lint|docs\.checklist)$$
test-asan: build/asan/build.ninja
	@cmake --build --preset asan
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --preset asan --output-on-failure -E '$(ASAN_SKIP)'

# ThreadSanitizer on the concurrency-heavy suites: the server, the logger and
# metrics, the database pool.
test-tsan: build/tsan/build.ninja
	@cmake --build --preset tsan --target $(TSAN_TARGETS)
	@TSAN_OPTIONS=halt_on_error=1 ctest --preset tsan --output-on-failure -R 'unit\.(http|observability|db)$$'

# The container image around the release binary test-release has just built
# (deploy/Dockerfile's runtime-prebuilt stage), with every run-phase check of
# the full image test. Listed after test-release in `test:` for that binary.
test-deploy:
	@KEEL_IMAGE_PREBUILT=build/release/keel bash tests/deploy/test_image.sh

# Opt-in (not part of `make test`: it compiles Keel inside the image): builds
# deploy/Dockerfile with podman from a debootstrapped Debian base and runs it.
test-deploy-image: setup
	@bash tests/deploy/test_image.sh

format:
	@find src -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
