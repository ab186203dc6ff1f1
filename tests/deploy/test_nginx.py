"""deploy/nginx/keel.conf.template for real: nginx with a self-signed certificate
in front of a running keel, driven with Debian's curl over HTTP/2.

Keel runs with TRUSTED_PROXIES=127.0.0.1 (nginx's address as keel sees it),
FORCE_HTTPS=true and a small UPLOAD_MAX_BYTES; nginx gets the template filled
in with test ports, a temp dir for everything it writes, and runs in the
foreground as a child process. The client connects from 127.0.0.2, so "the
client's address" and "the proxy's address" differ and the test can tell
which one keel logged.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from dataclasses import dataclass

import pytest

from conftest import DEPLOY, nginx_command
from keel_harness import KeelServer, free_port, wait_for

TEMPLATE = os.path.join(DEPLOY, "nginx", "keel.conf.template")
CLIENT_IP = "127.0.0.2"          # curl binds here; nginx and keel see it as the client
UPLOAD_MAX_BYTES = 65536
MULTIPART_ALLOWANCE = 16384      # keel's own allowance beyond the file (docs/uploads.md)
MAX_BODY_BYTES = 1048576
KEEL_HSTS = "max-age=63072000; includeSubDomains"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def fill_template(text: str, values: dict[str, str]) -> str:
    """fill_template replaces ${KEEL_*} placeholders like envsubst; an unknown one fails the test."""
    def repl(m: re.Match) -> str:
        name = m.group(1)
        assert name in values, f"template placeholder ${{{name}}} has no value in the test"
        return values[name]
    return re.sub(r"\$\{(KEEL_[A-Z_]+)\}", repl, text)


@dataclass
class Reply:
    """Reply is one curl exchange: status, headers (lower-case names, all values), body, HTTP version."""
    status: int
    headers: dict[str, list[str]]
    body: bytes
    http_version: str

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None


class Edge:
    """Edge is nginx (from the template) in front of keel, both on free ports, in one temp dir."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="keel-nginx-")
        os.chmod(self.tmp, 0o755)
        self.https_port = free_port()
        self.http_port = free_port()
        self.keel = KeelServer({
            "TRUSTED_PROXIES": "127.0.0.1",
            "FORCE_HTTPS": "true",
            "TRUSTED_HOSTS": "localhost",
            "UPLOAD_MAX_BYTES": str(UPLOAD_MAX_BYTES),
            "UPLOAD_ALLOWED_TYPES": "text/plain",
            "MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        })
        self.keel.env["UPLOAD_DIR"] = self.upload_dir = os.path.join(self.keel.tmp, "uploads")
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key = os.path.join(self.tmp, "key.pem")
        self.access_log = os.path.join(self.tmp, "access.log")
        self.error_log = os.path.join(self.tmp, "error.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Edge":
        self.keel.start()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", self.key, "-out", self.cert,
                        "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True, timeout=30)
        with open(TEMPLATE) as f:
            site = fill_template(f.read(), {
                "KEEL_SERVER_NAME": "localhost",
                "KEEL_UPSTREAM": f"127.0.0.1:{self.keel.port}",
                "KEEL_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
                "KEEL_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
                "KEEL_HTTPS_PORT": str(self.https_port),
                "KEEL_TLS_CERTIFICATE": self.cert,
                "KEEL_TLS_CERTIFICATE_KEY": self.key,
                "KEEL_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
                "KEEL_UPLOAD_BODY_BYTES": str(UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE),
                "KEEL_CACHE_DIR": os.path.join(self.tmp, "cache"),
            })
        with open(os.path.join(self.tmp, "keel.conf"), "w") as f:
            f.write(site)
        args = nginx_command(NGINX, self.tmp, self.error_log, os.path.join(self.tmp, "keel.conf"),
                             "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n")
        # The access log goes to nginx's stdout (access_log /dev/stdout in the template).
        self.access_file = open(self.access_log, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.access_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for(lambda: self._listening(self.https_port) and self._listening(self.http_port), 10):
            pytest.fail(f"nginx did not listen within 10 s\n{self.error_text()}")
        return self

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def error_text(self) -> str:
        with open(self.error_log, errors="replace") as f:
            return f.read()

    def access_entries(self) -> list[dict]:
        with open(self.access_log, errors="replace") as f:
            return [json.loads(line) for line in f if line.startswith("{")]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.access_file.close()
        self.keel.close()
        if not os.environ.get("KEEL_BB_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.keel.remove_tmp()

    # ----------------------------------------------------------------- curl

    def curl(self, path: str, *args: str, https: bool = True, http2: bool = True,
             headers: dict[str, str] | None = None) -> Reply:
        """curl runs Debian's curl from CLIENT_IP and returns the final response (redirects not followed)."""
        port = self.https_port if https else self.http_port
        out_dir = tempfile.mkdtemp(dir=self.tmp)
        head_file, body_file = os.path.join(out_dir, "head"), os.path.join(out_dir, "body")
        cmd = ["curl", "-sS", "--max-time", "20", "--interface", CLIENT_IP,
               "--resolve", f"localhost:{port}:127.0.0.1", "-D", head_file, "-o", body_file,
               "-w", "%{http_version}"]
        if https:
            cmd += ["--cacert", self.cert]
        cmd += ["--http2"] if http2 else ["--http1.1"]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        cmd += [*args, f"{'https' if https else 'http'}://localhost:{port}{path}"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"curl failed ({done.returncode}): {done.stderr}\n{self.error_text()[-2000:]}"
        with open(head_file, "rb") as f:
            head = f.read().decode("latin-1")
        with open(body_file, "rb") as f:
            body = f.read()
        shutil.rmtree(out_dir)
        blocks = [b for b in head.replace("\r\n", "\n").split("\n\n") if b.strip()]
        lines = blocks[-1].split("\n")
        status = int(lines[0].split()[1])
        parsed: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            parsed.setdefault(name.strip().lower(), []).append(value.strip())
        return Reply(status, parsed, body, done.stdout.strip())


@pytest.fixture(scope="module")
def edge():
    e = Edge()
    try:
        yield e.start()
    finally:
        e.close()


@pytest.fixture(scope="module")
def token(edge) -> str:
    """token is a bearer token from a register + password-grant login made through nginx."""
    email = f"edge-{secrets.token_hex(6)}@example.com"
    password = "".join(secrets.choice(string.ascii_lowercase) for _ in range(18))
    reg = edge.curl("/api/v1/auth/register", "--data-binary",
                    json.dumps({"email": email, "password": password, "full_name": "Edge Test"}),
                    headers={"Content-Type": "application/json"})
    assert reg.status == 201, reg.body
    login = edge.curl("/api/v1/auth/token", "--data-urlencode", "grant_type=password",
                      "--data-urlencode", f"username={email}", "--data-urlencode", f"password={password}")
    assert login.status == 200, login.body
    assert login.http_version == "2"
    return json.loads(login.body)["access_token"]


@pytest.fixture(scope="module")
def item_id(edge, token) -> str:
    resp = edge.curl("/api/v1/items", "--data-binary", json.dumps({"title": "behind nginx"}),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert resp.status == 201, resp.body
    return json.loads(resp.body)["id"]


def keel_saw(edge: Edge, request_id: str) -> list[dict]:
    """keel_saw returns keel's access-log lines for one request id."""
    return [line for line in edge.keel.log_lines()
            if line.get("msg") == "request" and line.get("request_id") == request_id]


# --------------------------------------------------------------------------- TLS, HTTP/2, HSTS


def test_https_request_is_http2_and_carries_keels_hsts_once(edge):
    reply = edge.curl("/health")
    assert reply.status == 200
    assert reply.http_version == "2"
    assert json.loads(reply.body) == {"status": "ok"}
    # Exactly one HSTS header (keel's, or nginx's fallback with the same value; never both).
    # That keel believes X-Forwarded-Proto is the FORCE_HTTPS test's job.
    assert reply.headers.get("strict-transport-security") == [KEEL_HSTS]
    entry = [e for e in edge.access_entries() if e["request_id"] == reply.header("x-request-id")]
    assert entry and entry[0]["protocol"] == "HTTP/2.0" and entry[0]["tls"] in ("TLSv1.2", "TLSv1.3"), entry


def test_metrics_are_not_published_through_the_proxy(edge):
    # Prometheus scrapes replicas directly; the public entry point hides /metrics.
    assert edge.curl("/metrics").status == 404
    assert edge.curl("/metrics/").status != 200


def test_force_https_keel_serves_proxied_requests_without_redirecting(edge):
    # FORCE_HTTPS=true: a plain-HTTP request straight to keel is redirected...
    direct = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                             "-H", "Host: localhost", f"http://127.0.0.1:{edge.keel.port}/openapi.json"],
                            capture_output=True, text=True, timeout=20)
    code, _, location = direct.stdout.partition(" ")
    assert code == "308" and location == "https://localhost/openapi.json", direct.stdout
    # ...while the same request through nginx is recognised as HTTPS and answered.
    reply = edge.curl("/openapi.json")
    assert reply.status == 200, reply.body[:300]
    assert json.loads(reply.body)["openapi"].startswith("3.")


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_tls_1_2_and_1_3_are_accepted(edge, version):
    reply = edge.curl("/health", f"--tlsv{version}", "--tls-max", version)
    assert reply.status == 200


def test_template_allows_only_tls_1_2_and_1_3():
    with open(TEMPLATE) as f:
        protocols = re.findall(r"^\s*ssl_protocols\s+([^;]+);", f.read(), re.M)
    assert protocols == ["TLSv1.2 TLSv1.3"]


def test_unknown_host_names_get_no_tls_handshake(edge):
    # No SNI (an IP literal) selects the default server, which rejects the handshake.
    done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-k", f"https://127.0.0.1:{edge.https_port}/health"],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode != 0
    assert "alert" in done.stderr.lower() or "ssl" in done.stderr.lower(), done.stderr


def test_plain_http_is_redirected_to_https(edge):
    reply = edge.curl("/api/v1/items?limit=5", https=False, http2=False)
    assert reply.status == 301
    assert reply.header("location") == f"https://localhost:{edge.https_port}/api/v1/items?limit=5"
    # Nothing of it reached keel.
    assert not [l for l in edge.keel.log_lines() if l.get("path") == "/api/v1/items" and "limit" in str(l)]


# --------------------------------------------------------------------------- proxy trust


def test_keel_logs_the_real_client_address_not_nginx_or_a_spoofed_one(edge):
    reply = edge.curl("/health", headers={"X-Forwarded-For": "203.0.113.9"})
    assert reply.status == 200
    request_id = reply.header("x-request-id")
    assert request_id and re.fullmatch(r"[0-9a-f]{32}", request_id), request_id  # nginx's $request_id
    lines = wait_for(lambda: keel_saw(edge, request_id), 3)
    assert len(lines) == 1, lines
    assert lines[0]["client_ip"] == CLIENT_IP
    nginx_entry = [e for e in edge.access_entries() if e["request_id"] == request_id]
    assert nginx_entry and nginx_entry[0]["remote_addr"] == CLIENT_IP


# --------------------------------------------------------------------------- body limits


def text_file(edge: Edge, size: int) -> str:
    """text_file writes `size` bytes of plain text lines (libmagic: text/plain) and returns its path."""
    line = b"the quick brown fox jumps over the lazy dog 0123456789\n"
    data = (line * (size // len(line) + 1))[:size - 1] + b"\n"
    path = os.path.join(edge.tmp, f"upload-{size}.txt")
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_upload_of_exactly_upload_max_bytes_passes_nginx(edge, token, item_id):
    reply = edge.curl(f"/api/v1/items/{item_id}/attachments",
                      "-F", f"file=@{text_file(edge, UPLOAD_MAX_BYTES)};type=text/plain;filename=max.txt",
                      headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 201, reply.body[:500]
    assert json.loads(reply.body)["size"] == UPLOAD_MAX_BYTES


def test_oversized_upload_is_refused_by_nginx_before_keel(edge, token, item_id):
    def attachment_requests() -> int:
        return len([l for l in edge.keel.log_lines() if l.get("msg") == "request"
                    and l.get("route") == "/api/v1/items/{id}/attachments"])
    time.sleep(0.2)  # earlier requests' log lines are written
    before = attachment_requests()
    reply = edge.curl(f"/api/v1/items/{item_id}/attachments",
                      "-F", f"file=@{text_file(edge, UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE + 1)};type=text/plain",
                      headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 413
    assert reply.header("content-type") == "application/problem+json"
    problem = json.loads(reply.body)
    assert problem["code"] == "payload_too_large" and problem["status"] == 413
    assert problem["request_id"] == reply.header("x-request-id")
    assert reply.header("strict-transport-security") == KEEL_HSTS  # added by nginx: keel never answered
    time.sleep(0.2)
    assert keel_saw(edge, problem["request_id"]) == []
    assert attachment_requests() == before, "keel logged an upload that nginx refused"
    assert not [n for n in os.listdir(edge.upload_dir) if n.startswith(".")], "a spool file was left in UPLOAD_DIR"


def test_oversized_ordinary_body_is_refused_by_nginx(edge, token):
    path = os.path.join(edge.tmp, "big.json")
    with open(path, "w") as f:
        f.write(json.dumps({"title": "x", "description": "y" * (MAX_BODY_BYTES + 10)}))
    reply = edge.curl("/api/v1/items", "--data-binary", f"@{path}",
                      headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert reply.status == 413
    assert keel_saw(edge, reply.header("x-request-id")) == []


# --------------------------------------------------------------------------- docs assets


def test_docs_assets_are_gzipped_and_cached_by_nginx(edge):
    first = edge.curl("/docs/assets/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    second = edge.curl("/docs/assets/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    assert first.status == 200 and second.status == 200
    assert first.header("x-cache-status") == "MISS"
    assert second.header("x-cache-status") == "HIT"
    assert second.header("content-encoding") == "gzip"
    assert len(second.body) < 1_000_000 and second.body[:2] == b"\x1f\x8b"
    assert second.header("strict-transport-security") == KEEL_HSTS
