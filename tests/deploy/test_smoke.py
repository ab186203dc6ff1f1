"""scripts/smoke (the post-deployment check, docs/operations/post-deployment.md) against a real keel.

Each case runs the script as an operator would — `scripts/smoke [options] BASE_URL` with a clean
environment (PATH and HOME, plus the SMOKE_* variables a case sets) — and asserts its exit code and
output lines: every check passes against a healthy server (plain HTTP, and HTTPS with a self-signed
certificate under --insecure); it stops at the first failure, naming it, when nothing listens, when
/readiness is 503, when TLS cannot be verified, or when the given credentials are wrong; and it never
prints a password or a token.
"""

from __future__ import annotations

import os
import re
import secrets
import string
import subprocess

import httpx
import pytest

from conftest import REPO
from keel_harness import KeelServer, free_port, register_secret, run_cli

SMOKE = os.path.join(REPO, "scripts", "smoke")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}")

# The lines of a passing run against a server with docs, in order (the item id and email vary).
FULL_RUN = [
    r"ok   GET /health 200",
    r"ok   GET /readiness 200",
    r"ok   GET /openapi.json 200 \(version \d+\.\d+\.\d+\)",
    r"ok   GET /docs 200",
    r"ok   GET /redoc 200",
    r"ok   POST /api/v1/auth/register 201 \(smoke-[0-9a-f]{16}@example\.com\)",
    r"ok   POST /api/v1/auth/token 200 \(bearer token\)",
    r"ok   GET /api/v1/users/me 200",
    r"ok   POST /api/v1/items 201 \((?P<item>[0-9a-f-]{36})\)",
    r"ok   GET /api/v1/items/(?P=item) 200 \(same title\)",
    r"ok   DELETE /api/v1/items/(?P=item) 204",
    r"ok   GET /api/v1/items/(?P=item) 404 \(gone\)",
    r"ok   DELETE /api/v1/users/me 204 \(throwaway account removed\)",
    r"smoke: all checks passed against http://127\.0\.0\.1:\d+",
]


def smoke(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """smoke runs scripts/smoke with a clean environment plus `env`; stdout and stderr are captured."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    clean.update(env or {})
    return subprocess.run(["bash", SMOKE, *args], env=clean, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def strong_password() -> str:
    return register_secret("".join(secrets.choice(string.ascii_lowercase) for _ in range(20)))


@pytest.fixture(scope="module")
def server():
    srv = KeelServer({"RATE_LIMIT_AUTH_PER_MINUTE": "1000"})
    srv.env["OUTBOX_DIR"] = os.path.join(srv.tmp, "outbox")
    srv.env["UPLOAD_DIR"] = os.path.join(srv.tmp, "uploads")
    srv.start()
    yield srv
    srv.close()
    srv.remove_tmp()


def test_every_check_passes_and_the_throwaway_account_is_gone(server):
    result = smoke(server.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    text = result.stdout
    assert re.fullmatch("\n".join(FULL_RUN) + "\n", text), text
    assert not JWT_RE.search(text), "a token was printed"

    email = re.search(r"\((smoke-[0-9a-f]{16}@example\.com)\)", text).group(1)
    item = re.search(r"POST /api/v1/items 201 \(([0-9a-f-]{36})\)", text).group(1)
    assert server.sql("SELECT count(*) FROM users WHERE email = ?", (email,)) == [(0,)]
    assert server.sql("SELECT count(*) FROM items WHERE id = ?", (item,)) == [(0,)]
    # keel's own access log agrees that the account was deleted.
    deleted = server.wait_log(lambda l: l.get("msg") == "request" and l.get("method") == "DELETE"
                              and l.get("path") == "/api/v1/users/me")
    assert [l["status"] for l in deleted] == [204], deleted


def test_given_account_is_used_signed_out_and_kept(server):
    email = f"Operator-{secrets.token_hex(4)}@example.com"
    password = strong_password()
    assert httpx.post(server.url("/api/v1/auth/register"),
                      json={"email": email, "password": password}).status_code == 201

    result = smoke("--no-docs", "--expect-version", run_cli(["version"], {}, server.tmp).stdout.split()[1],
                   server.base_url, env={"SMOKE_EMAIL": email, "SMOKE_PASSWORD": password})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "ok   GET /health 200" and lines[1] == "ok   GET /readiness 200"
    assert re.fullmatch(r"ok   GET /metrics 200 \(version \d+\.\d+\.\d+\)", lines[2]), lines
    assert not any("register" in l or "/docs" in l or "openapi" in l for l in lines), lines
    assert lines[-2:] == ["ok   POST /api/v1/auth/logout 204",
                          f"smoke: all checks passed against {server.base_url}"]
    assert password not in result.stdout + result.stderr
    assert not JWT_RE.search(result.stdout + result.stderr)
    # The account stays (it is the operator's), its session is revoked.
    assert server.sql("SELECT count(*) FROM users WHERE email = ?", (email.lower(),)) == [(1,)]
    assert server.sql("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                      "WHERE u.email = ? AND s.revoked_at IS NULL", (email.lower(),)) == [(0,)]


def test_wrong_credentials_fail_at_the_token_step_without_printing_the_password(server):
    password = register_secret("not-the-password-" + secrets.token_hex(6))
    result = smoke("--no-docs", server.base_url,
                   env={"SMOKE_EMAIL": "nobody@example.com", "SMOKE_PASSWORD": password})
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("FAIL POST /api/v1/auth/token (password grant): expected HTTP 200, got 400"), last
    assert "invalid_grant" in last
    assert password not in result.stdout + result.stderr


def test_a_wrong_version_fails(server):
    result = smoke("--expect-version", "99.0.0", server.base_url)
    assert result.returncode == 1
    assert re.search(r"^FAIL version: expected 99\.0\.0, the server runs \d+\.\d+\.\d+$", result.stdout, re.M), \
        result.stdout
    assert "register" not in result.stdout


def test_nothing_listening_fails_at_health():
    port = free_port()
    result = smoke(f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL GET /health: no HTTP answer"), result.stdout
    assert len(result.stdout.splitlines()) == 1


def test_readiness_503_fails_before_any_account_is_touched():
    srv = KeelServer()
    srv.env["OUTBOX_DIR"] = os.path.join(srv.tmp, "outbox")
    srv.start()
    try:
        # One migration rolled back under the running server: the schema is behind, /readiness 503.
        down = run_cli(["migrate", "down", "1"], srv.env, cwd=srv.tmp)
        assert down.returncode == 0, down.stdout + down.stderr
        assert httpx.get(srv.url("/readiness")).status_code == 503

        result = smoke(srv.base_url)
        assert result.returncode == 1, result.stdout
        lines = result.stdout.splitlines()
        assert lines[0] == "ok   GET /health 200"
        assert lines[1].startswith("FAIL GET /readiness (database, migrations, Redis, not draining): "
                                   "expected HTTP 200, got 503"), lines
        assert "schema behind" in lines[1], lines
        assert len(lines) == 2
    finally:
        srv.close()
        srv.remove_tmp()


def test_usage_errors_exit_2():
    assert smoke().returncode == 2
    assert smoke("--bogus", "http://127.0.0.1:1").returncode == 2
    assert smoke("ftp://127.0.0.1/").returncode == 2
    only_email = smoke("http://127.0.0.1:1", env={"SMOKE_EMAIL": "a@example.com"})
    assert only_email.returncode == 2 and "SMOKE_PASSWORD" in only_email.stderr


class TlsKeelServer(KeelServer):
    """TlsKeelServer is a KeelServer terminating TLS itself (TLS_CERT_FILE), reached over https://."""

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def test_self_signed_tls_needs_insecure(tmp_path, monkeypatch):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    srv = TlsKeelServer({"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key, "RATE_LIMIT_AUTH_PER_MINUTE": "1000"})
    srv.env["OUTBOX_DIR"] = os.path.join(srv.tmp, "outbox")
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # for the harness's own /health poll only
    srv.start()
    try:
        refused = smoke(srv.base_url)
        assert refused.returncode == 1
        assert refused.stdout.startswith("FAIL GET /health: no HTTP answer (curl: (60)"), refused.stdout

        result = smoke("--insecure", srv.base_url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[-1] == f"smoke: all checks passed against {srv.base_url}"
        assert len(result.stdout.splitlines()) == len(FULL_RUN)
    finally:
        srv.close()
        srv.remove_tmp()
