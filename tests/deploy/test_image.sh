#!/usr/bin/env bash
# tests/deploy/test_image.sh — opt-in (`make test-deploy-image`): builds
# deploy/Dockerfile with podman and checks the running container.
#
# No container registry is reachable here, so the Debian base image is made
# with debootstrap and imported as localhost/debian:bookworm-slim (cached:
# the podman image, and the rootfs tarball in $KEEL_IMAGE_CACHE). The build
# compiles Keel inside the image (-j $KEEL_IMAGE_BUILD_JOBS, default 1), which
# is why this is not part of `make test`.
#
# Checks: image size (< $KEEL_IMAGE_MAX_MB MB), the process runs as uid 10001,
# /health and /readiness answer 200, register + login work (APP_ENV=production
# settings), the HEALTHCHECK reports healthy, and SIGTERM stops the container
# with exit code 0 within the grace period.
# Needs root (rootful podman with runc, as MACHINE-NOTES.md describes).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
base_image=localhost/debian:bookworm-slim
image=localhost/keel:image-test
cache=${KEEL_IMAGE_CACHE:-$HOME/.cache/keel-deploy}
max_mb=${KEEL_IMAGE_MAX_MB:-200}
grace_s=${KEEL_IMAGE_GRACE_S:-15}
mirror=${KEEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suffix=$$
name=keel-image-test-$suffix
volume=keel-image-test-$suffix
podman_run=(podman --runtime runc)

fail() { echo "test_image: FAIL: $*" >&2; exit 1; }
step() { echo "test_image: $*"; }

[[ $(id -u) -eq 0 ]] || fail "run as root (rootful podman)"

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
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --------------------------------------------------------------------------- base image (cached)
if ! podman image exists "$base_image"; then
  mkdir -p "$cache"
  tarball=$cache/debian-bookworm-minbase.tar
  if [[ ! -s $tarball ]]; then
    step "debootstrap bookworm from $mirror (once; cached in $tarball)"
    rootfs=$(mktemp -d /tmp/keel-rootfs-XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { rm -rf "$rootfs"; fail "debootstrap failed, see $cache/debootstrap.log"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  step "importing $base_image"
  podman import "$tarball" "$base_image" >/dev/null
fi

# --------------------------------------------------------------------------- build
step "building $image (this compiles Keel; -j ${KEEL_IMAGE_BUILD_JOBS:-1})"
start=$(date +%s)
podman build --isolation=chroot -f deploy/Dockerfile -t "$image" \
  --build-arg BASE_IMAGE="$base_image" --build-arg BUILD_JOBS="${KEEL_IMAGE_BUILD_JOBS:-1}" . \
  >"$cache/build.log" 2>&1 || { tail -40 "$cache/build.log" >&2; fail "podman build failed (log: $cache/build.log)"; }
step "built in $(( $(date +%s) - start )) s"

size=$(podman image inspect --format '{{.Size}}' "$image")
size_mb=$(( size / 1024 / 1024 ))
step "image size: ${size_mb} MB (limit ${max_mb} MB)"
(( size_mb < max_mb )) || fail "image is ${size_mb} MB, over ${max_mb} MB"
[[ $(podman image inspect --format '{{.Config.User}}' "$image") == "10001:10001" ]] || fail "image USER is not 10001:10001"

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
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
podman volume create "$volume" >/dev/null

step "keel migrate up (one-shot container)"
"${podman_run[@]}" run --rm "${limits[@]}" --env-file "$env_file" -v "$volume:/var/lib/keel/data" \
  "$image" migrate up >/dev/null || fail "migrate up failed"

step "keel serve on 127.0.0.1:$port"
"${podman_run[@]}" run -d --name "$name" "${limits[@]}" --env-file "$env_file" --read-only --tmpfs /tmp \
  --cap-drop ALL --security-opt no-new-privileges -v "$volume:/var/lib/keel/data" \
  -p "127.0.0.1:$port:8000" "$image" >/dev/null
rm -f "$env_file"

url=http://localhost:$port
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
  sleep 0.2
done
[[ $(curl -sS "$url/health") == '{"status":"ok"}' ]] || { podman logs "$name" | tail -20; fail "/health"; }
[[ $(curl -sS -o /dev/null -w '%{http_code}' "$url/readiness") == 200 ]] || fail "/readiness is not 200"
step "/health and /readiness: 200"

uid=$("${podman_run[@]}" exec "$name" cat /proc/1/status | awk '/^Uid:/ {print $2}')
[[ $uid == 10001 ]] || fail "keel runs as uid $uid, not 10001"
comm=$("${podman_run[@]}" exec "$name" cat /proc/1/comm)
[[ $comm == keel ]] || fail "PID 1 is $comm, not keel (exec-form ENTRYPOINT)"
step "PID 1 is keel, uid 10001"

email="image-$suffix@example.com"
password=$(openssl rand -hex 12)
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$email\",\"password\":\"$password\"}" "$url/api/v1/auth/register")
[[ $code == 201 ]] || fail "register answered $code"
token=$(curl -sS --data-urlencode grant_type=password --data-urlencode "username=$email" \
  --data-urlencode "password=$password" "$url/api/v1/auth/token" \
  | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
me=$(curl -sS -H "Authorization: Bearer $token" "$url/api/v1/users/me")
[[ $me == *"$email"* ]] || fail "GET /users/me with the token: $me"
step "register + login + /users/me: ok"

for _ in $(seq 1 60); do
  "${podman_run[@]}" healthcheck run "$name" >/dev/null 2>&1 && break
  sleep 0.5
done
"${podman_run[@]}" healthcheck run "$name" >/dev/null || fail "HEALTHCHECK does not pass"
step "HEALTHCHECK: healthy"

start=$(date +%s)
"${podman_run[@]}" stop -t "$grace_s" "$name" >/dev/null
elapsed=$(( $(date +%s) - start ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[[ $exit_code == 0 ]] || { podman logs "$name" | tail -20; fail "exit code after SIGTERM: $exit_code"; }
(( elapsed < grace_s )) || fail "SIGTERM took ${elapsed} s (grace ${grace_s} s): it was killed"
step "SIGTERM: exit 0 after ${elapsed} s"
podman logs "$name" 2>&1 | grep -q "$password" && fail "the password appears in the container log"
step "PASS (image ${size_mb} MB)"
