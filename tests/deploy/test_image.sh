#!/usr/bin/env bash
# tests/deploy/test_image.sh — builds deploy/Dockerfile with podman and checks
# the running container. Two ways to get keel's binary into the image:
#
#   bash tests/deploy/test_image.sh          # full (`make test-deploy-image`, CI):
#       the multi-stage build compiles Keel inside the image (-j
#       $KEEL_IMAGE_BUILD_JOBS, default 1; ccache in a build cache mount makes a
#       rebuild after a small change cheap). 6–11 min cold.
#   KEEL_IMAGE_PREBUILT=build/release/keel bash tests/deploy/test_image.sh
#       prebuilt (`make test-deploy`, part of `make test`): the stage
#       runtime-prebuilt, i.e. the same runtime stage around a stripped copy of
#       the release binary just built on this Debian 12 machine (same compiler,
#       flags and Debian libraries). It must be a release build of this tree:
#       `keel version` runs and names CMakeLists.txt's version, no sanitizer
#       runtime, no debug info.
#
# No container registry is reachable here, so the Debian base image is made
# with debootstrap and imported as localhost/debian:bookworm-slim (cached: the
# podman image, and the rootfs tarball in $KEEL_IMAGE_CACHE).
#
# Checks (the same in both modes): keel runs in the image (`keel version`),
# keel's layers on top of the base stay under $KEEL_IMAGE_MAX_ADDED_MB (base,
# total and added sizes are reported), USER 10001:10001 and a
# HEALTHCHECK in the image, PID 1 is keel running as uid 10001, /health and
# /readiness answer 200, the docs assets and e-mail templates are found,
# register + login + /users/me work with APP_ENV=production settings (passed
# with --env-file, never baked in), the HEALTHCHECK reports healthy, and SIGTERM
# stops the container with exit code 0 within the grace period.
# Needs root (rootful podman with runc, as MACHINE-NOTES.md describes).
#
# Environment: KEEL_IMAGE_PREBUILT (unset: full build), KEEL_IMAGE_BUILD_JOBS
# (1), KEEL_IMAGE_CACHE (~/.cache/keel-deploy), KEEL_IMAGE_MAX_ADDED_MB (200),
# KEEL_IMAGE_GRACE_S (15), KEEL_DEBIAN_MIRROR (http://deb.debian.org/debian;
# use the mirror apt uses on this machine) and KEEL_DEBIAN_SECURITY_MIRROR
# (http://deb.debian.org/debian-security).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
base_image=localhost/debian:bookworm-slim
build_deps_image=localhost/keel-build-deps:bookworm
image=localhost/keel:image-test
cache=${KEEL_IMAGE_CACHE:-$HOME/.cache/keel-deploy}
jobs=${KEEL_IMAGE_BUILD_JOBS:-1}
max_added_mb=${KEEL_IMAGE_MAX_ADDED_MB:-200}
grace_s=${KEEL_IMAGE_GRACE_S:-15}
mirror=${KEEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${KEEL_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suffix=$$
name=keel-image-test-$suffix
data_volume=keel-image-test-data-$suffix
uploads_volume=keel-image-test-uploads-$suffix
podman_run=(podman --runtime runc)
prebuilt=${KEEL_IMAGE_PREBUILT:-}
prebuilt_dir=
env_file=

fail() { echo "test_image: FAIL: $*" >&2; exit 1; }
step() { echo "test_image: $*"; }
mb() { echo $(( ($1 + 500000) / 1000000 )); }  # bytes → MB (10^6, as `podman images` shows)

[[ $(id -u) -eq 0 ]] || fail "run as root (rootful podman)"
script_start=$(date +%s)

# --------------------------------------------------------------------------- prebuilt binary
if [[ -n $prebuilt ]]; then
  # The binary is linked against this machine's libraries: they must be the
  # ones the runtime stage installs.
  grep -qx 'VERSION_CODENAME=bookworm' /etc/os-release \
    || fail "KEEL_IMAGE_PREBUILT needs a binary built on Debian 12 (the image's base); run the full build instead"
  [[ -f $prebuilt && -x $prebuilt ]] || fail "KEEL_IMAGE_PREBUILT=$prebuilt is not an executable (build it: make test-release)"
  version=$("$prebuilt" version 2>&1) || fail "KEEL_IMAGE_PREBUILT=$prebuilt: \`keel version\` failed: $version"
  project_version=$(sed -nE 's/^project\(keel VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
  [[ $version == "keel $project_version "* ]] \
    || fail "KEEL_IMAGE_PREBUILT=$prebuilt says \"$version\", not keel $project_version (CMakeLists.txt): not a build of this tree"
  ! ldd "$prebuilt" | grep -qE 'lib(a|t|ub|l)san\.so' || fail "KEEL_IMAGE_PREBUILT=$prebuilt is a sanitizer build, not the release build"
  ! readelf -S --wide "$prebuilt" | grep -qF .debug_info \
    || fail "KEEL_IMAGE_PREBUILT=$prebuilt has debug info: not a release build (use build/release/keel)"
fi

# --------------------------------------------------------------------------- tools
packages=(podman buildah runc debootstrap fuse-overlayfs slirp4netns uidmap containernetworking-plugins curl)
missing=()
for package in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for asset in node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/redoc/bundles/redoc.standalone.js; do
  [[ -f $asset ]] || fail "$asset missing: run scripts/setup first"
done

cleanup() {
  "${podman_run[@]}" rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$data_volume" "$uploads_volume" >/dev/null 2>&1 || true
  [[ -z $env_file ]] || rm -f "$env_file"
  [[ -z $prebuilt_dir ]] || rm -rf "$prebuilt_dir"
}
trap cleanup EXIT
mkdir -p "$cache"

# --------------------------------------------------------------------------- base image (cached)
if ! podman image exists "$base_image"; then
  tarball=$cache/debian-bookworm-minbase.tar
  if [[ ! -s $tarball ]]; then
    step "debootstrap bookworm from $mirror (once; cached in $tarball)"
    start=$(date +%s)
    rootfs=$(mktemp -d /tmp/keel-rootfs-XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { rm -rf "$rootfs"; fail "debootstrap failed, see $cache/debootstrap.log"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # As in Debian's own images: point releases and security updates too.
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$mirror" "$mirror" "$security_mirror" >"$rootfs/etc/apt/sources.list"
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    step "debootstrap done in $(( $(date +%s) - start )) s"
  fi
  start=$(date +%s)
  podman import -q "$tarball" "$base_image" >/dev/null
  step "imported $base_image in $(( $(date +%s) - start )) s"
fi

# --------------------------------------------------------------------------- build
# --format docker: the OCI image format has no HEALTHCHECK; podman would drop it.
build_args=(--isolation=chroot --format docker -f deploy/Dockerfile
  --build-arg BASE_IMAGE="$base_image" --build-arg BUILD_JOBS="$jobs")
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $prebuilt ]]; then
  prebuilt_dir=$(mktemp -d /tmp/keel-prebuilt-XXXXXX)
  strip -o "$prebuilt_dir/keel" "$prebuilt"
  step "building $image around $prebuilt ($version, stripped; stage runtime-prebuilt; log: $cache/build.log)"
  start=$(date +%s)
  podman build "${build_args[@]}" --build-arg REVISION="$revision" --target runtime-prebuilt \
    --build-context prebuilt="$prebuilt_dir" -t "$image" . >"$cache/build.log" 2>&1 \
    || { tail -40 "$cache/build.log" >&2; fail "podman build failed (log: $cache/build.log)"; }
  step "built in $(( $(date +%s) - start )) s"
else
  start=$(date +%s)
  podman build "${build_args[@]}" --target build-deps -t "$build_deps_image" . >"$cache/build-deps.log" 2>&1 \
    || { tail -40 "$cache/build-deps.log" >&2; fail "build-deps stage failed (log: $cache/build-deps.log)"; }
  step "build-deps stage (compiler, -dev packages) ready in $(( $(date +%s) - start )) s (tagged $build_deps_image, kept)"

  step "building $image (compiles Keel with -j $jobs; log: $cache/build.log)"
  start=$(date +%s)
  podman build "${build_args[@]}" --build-arg REVISION="$revision" -t "$image" . >"$cache/build.log" 2>&1 \
    || { tail -40 "$cache/build.log" >&2; fail "podman build failed (log: $cache/build.log)"; }
  step "built in $(( $(date +%s) - start )) s (ccache$(grep -m1 -E '^ +Hits:' "$cache/build.log" | tr -s ' ' || true))"
fi
# Old build stages and replaced test images: only keel's own dangling images.
podman image prune -f --filter label=keel.stage=build >/dev/null
podman image prune -f --filter label=keel.stage=runtime >/dev/null

base_size=$(podman image inspect --format '{{.Size}}' "$base_image")
size=$(podman image inspect --format '{{.Size}}' "$image")
added=$(( size - base_size ))
step "image size: $(mb "$size") MB = base $(mb "$base_size") MB + keel's layers $(mb "$added") MB (limit ${max_added_mb} MB)"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$image" \
  | awk -F'\t' '$1 != "0 B" {print "test_image:   layer " $1 "\t" substr($2, 1, 80)}'
(( added < max_added_mb * 1000000 )) || fail "keel adds $(mb "$added") MB to the base, over ${max_added_mb} MB"
[[ $(podman image inspect --format '{{.Config.User}}' "$image") == "10001:10001" ]] || fail "image USER is not 10001:10001"
[[ $(podman image inspect --format '{{.Config.Healthcheck}}' "$image") == *"/health"* ]] \
  || fail "the image has no HEALTHCHECK (built with --format oci?)"

# --------------------------------------------------------------------------- run
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env_file=$(mktemp /tmp/keel-image-env-XXXXXX)
chmod 600 "$env_file"
# Production settings, generated per run; no secret ever reaches argv or the image.
cat >"$env_file" <<ENV
APP_ENV=production
SECRET_KEY=$(openssl rand -hex 32)
DATA_ENCRYPTION_KEYS=k1:$(openssl rand -base64 32)
METRICS_TOKEN=$(openssl rand -hex 16)
TRUSTED_HOSTS=localhost
TRUSTED_PROXIES=192.0.2.1
DOCS_PUBLIC=true
WORKERS=2
SHUTDOWN_GRACE_MS=5000
ENV
# runc and low ulimits (MACHINE-NOTES.md). Healthchecks are run by the test
# (`podman healthcheck run`): there is no systemd here for podman's timers, so
# podman's complaints about that go to $podman_log, shown on failure.
podman_log=$cache/podman-run.log
: >"$podman_log"
run_opts=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --env-file "$env_file"
  -v "$data_volume:/var/lib/keel/data" -v "$uploads_volume:/var/lib/keel/uploads")
podman volume create "$data_volume" >/dev/null
podman volume create "$uploads_volume" >/dev/null
run_start=$(date +%s)

# The binary's shared libraries are all in the image (ldd names any missing one).
in_image=$("${podman_run[@]}" run --rm "${run_opts[@]}" "$image" version 2>>"$podman_log") || {
  "${podman_run[@]}" run --rm "${run_opts[@]}" --entrypoint ldd "$image" /usr/local/bin/keel 2>&1 | grep -F 'not found' >&2
  cat "$podman_log" >&2; fail "keel does not start in the image"; }
step "keel version in the image: $in_image"

step "keel migrate up (one-shot container)"
"${podman_run[@]}" run --rm "${run_opts[@]}" "$image" migrate up >/dev/null 2>>"$podman_log" || { cat "$podman_log" >&2; fail "migrate up failed"; }

step "keel serve on 127.0.0.1:$port (read-only root, no capabilities)"
"${podman_run[@]}" run -d --name "$name" "${run_opts[@]}" --read-only --tmpfs /tmp \
  --cap-drop ALL --security-opt no-new-privileges -p "127.0.0.1:$port:8000" "$image" >/dev/null 2>>"$podman_log" || { cat "$podman_log" >&2; fail "podman run failed"; }

url=http://localhost:$port
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
  sleep 0.2
done
[[ $(curl -sS "$url/health") == '{"status":"ok"}' ]] || { podman logs "$name" 2>&1 | tail -20; fail "/health"; }
[[ $(curl -sS -o /dev/null -w '%{http_code}' "$url/readiness") == 200 ]] || fail "/readiness is not 200"
step "/health and /readiness: 200"

status=$("${podman_run[@]}" exec "$name" cat /proc/1/status)
uid=$(awk '/^Uid:/ {print $2}' <<<"$status")
[[ $uid == 10001 ]] || fail "keel runs as uid $uid, not 10001"
[[ $(awk '/^Name:/ {print $2}' <<<"$status") == keel ]] || fail "PID 1 is not keel (exec-form ENTRYPOINT)"
[[ $(awk '/^CapEff:/ {print $2}' <<<"$status") == 0000000000000000 ]] || fail "keel has effective capabilities"
step "PID 1 is keel, uid 10001, no capabilities"

for asset in swagger-ui-bundle.js redoc.standalone.js; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$url/docs/assets/$asset")
  [[ $code == 200 ]] || fail "/docs/assets/$asset answered $code (docs assets not found in the image)"
done
step "docs assets: 200"

email="image-$suffix@example.com"
password=$(openssl rand -hex 12)
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$email\",\"password\":\"$password\"}" "$url/api/v1/auth/register")
[[ $code == 201 ]] || fail "register answered $code"
token=$(curl -sS --data-urlencode grant_type=password --data-urlencode "username=$email" \
  --data-urlencode "password=$password" "$url/api/v1/auth/token" \
  | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') \
  || fail "login (POST /api/v1/auth/token) gave no access token"
me=$(curl -sS -H "Authorization: Bearer $token" "$url/api/v1/users/me")
[[ $me == *"\"email\":\"$email\""* ]] || fail "GET /users/me with the token: $me"
step "register + login + /users/me: ok"

# Registration sends a verification e-mail; with no SMTP_URL it lands in the
# outbox, rendered from the templates the image ships.
outbox=
for _ in $(seq 1 50); do
  outbox=$("${podman_run[@]}" exec "$name" sh -c 'cat /var/lib/keel/data/outbox/* 2>/dev/null' || true)
  [[ -n $outbox ]] && break
  sleep 0.2
done
[[ $outbox == *"$email"* ]] || { podman logs "$name" 2>&1 | tail -20; fail "no verification e-mail in the outbox (templates?)"; }
step "verification e-mail rendered into the outbox"

healthy=
for _ in $(seq 1 30); do
  if "${podman_run[@]}" healthcheck run "$name" >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.5
done
[[ -n $healthy ]] || fail "HEALTHCHECK does not pass"
health=$(podman inspect --format '{{.State.Health.Status}}' "$name")
[[ $health == healthy ]] || fail "health status is $health"
step "HEALTHCHECK: $health"

start_ms=$(( $(date +%s%N) / 1000000 ))
"${podman_run[@]}" stop -t "$grace_s" "$name" >/dev/null 2>>"$podman_log"
elapsed_ms=$(( $(date +%s%N) / 1000000 - start_ms ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
logs=$(podman logs "$name" 2>&1)
[[ $exit_code == 0 ]] || { tail -20 <<<"$logs"; fail "exit code after SIGTERM: $exit_code"; }
(( elapsed_ms < grace_s * 1000 )) || fail "SIGTERM took ${elapsed_ms} ms (grace ${grace_s} s): it was killed"
grep -q '"msg":"stopped"' <<<"$logs" || { tail -5 <<<"$logs"; fail "keel did not log a clean stop"; }
step "SIGTERM: exit 0 after ${elapsed_ms} ms (grace ${grace_s} s)"
! grep -qF "$password" <<<"$logs" || fail "the password appears in the container log"
! grep -qF "$token" <<<"$logs" || fail "the access token appears in the container log"
step "run phase took $(( $(date +%s) - run_start )) s"
step "PASS ($([[ -n $prebuilt ]] && echo "prebuilt $prebuilt" || echo "full build"); image $(mb "$size") MB: base $(mb "$base_size") MB + keel $(mb "$added") MB; $(( $(date +%s) - script_start )) s in all)"
