"""Helpers for the black-box suite: run the real keel binary and talk to it.

The suite never links against Keel: it starts the binary named by KEEL_BINARY
(default build/lead/keel) with a clean environment, talks to it over real
sockets with httpx or raw bytes, and reads its JSON log lines.

    server = KeelServer({"MAX_BODY_BYTES": "1024"}).start()
    assert httpx.get(server.url("/health")).status_code == 200
    with RawConnection(server.port) as conn:
        conn.send(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        assert conn.read_response().status == 200
    server.close()
"""

from __future__ import annotations

import json
import os
import re
import secrets as _secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import httpx
import pytest

KEEL_BINARY = os.environ.get("KEEL_BINARY", "/work/main/build/lead/keel")

# Every secret value a test hands to keel; the session-end check greps every
# server log for them (SPEC §10: secrets never appear in any log line).
SECRETS: set[str] = set()
# Every server started in this session, so the session-end check can read its logs.
SERVERS: list["KeelServer"] = []

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def register_secret(value: str) -> str:
    """register_secret remembers a value that must never show up in a log; returns it."""
    SECRETS.add(value)
    return value


@dataclass
class Caller:
    """Caller is a registered user and one access token."""
    email: str
    password: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_in(client: httpx.Client, email: str, password: str, scope: str | None = None) -> str:
    """sign_in runs the password grant and returns the access token (registered as a secret)."""
    form = {"grant_type": "password", "username": email, "password": password}
    if scope is not None:
        form["scope"] = scope
    resp = client.post("/api/v1/auth/token", data=form)
    assert resp.status_code == 200, resp.text
    return register_secret(resp.json()["access_token"])


def new_caller(client: httpx.Client, scope: str | None = None, prefix: str = "user",
               full_name: str | None = None) -> Caller:
    """new_caller registers a fresh user (a random 16-letter password passes the policy) and signs in."""
    email = f"{prefix}-{_secrets.token_hex(6)}@example.com"
    password = register_secret("".join(_secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(16)))
    body = {"email": email, "password": password}
    if full_name is not None:
        body["full_name"] = full_name
    resp = client.post("/api/v1/auth/register", json=body)
    assert resp.status_code == 201, resp.text
    return Caller(email, password, sign_in(client, email, password, scope))


def require_binary() -> str:
    """require_binary returns the keel path or fails the test (a missing binary is a failure, not a skip)."""
    if not (os.path.isfile(KEEL_BINARY) and os.access(KEEL_BINARY, os.X_OK)):
        pytest.fail(f"keel binary not found or not executable: {KEEL_BINARY} (set KEEL_BINARY)")
    return KEEL_BINARY


def free_port() -> int:
    """free_port asks the kernel for an unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """clean_env is PATH and HOME only plus the overrides, so the developer's shell cannot leak settings."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    env.update(overrides or {})
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: str, timeout: float = 30.0,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    """run_cli runs `keel <args>` with exactly `env` (plus PATH/HOME) and captures text output."""
    binary = require_binary()
    return subprocess.run([binary, *args], env=clean_env(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.05):
    """wait_for polls predicate until it returns something truthy or timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# The black-box suite runs on SQLite by default; `blackbox.postgres` (ctest) sets
# KEEL_BLACKBOX_DIALECT=postgres and, through tests/support/postgres.sh, the
# admin URL of a throwaway PostgreSQL: every server then gets a fresh database.
BLACKBOX_DIALECT = os.environ.get("KEEL_BLACKBOX_DIALECT", "sqlite")


def create_postgres_database() -> str:
    """create_postgres_database makes an empty database on the test server and returns its URL."""
    admin_url = os.environ.get("KEEL_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.fail("KEEL_BLACKBOX_DIALECT=postgres needs KEEL_TEST_POSTGRES_URL (run under tests/support/postgres.sh run)")
    name = "keel_bb_" + _secrets.token_hex(6)
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True, timeout=30)
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


class KeelServer:
    """KeelServer is one `keel serve` process on a free port with its own temp dir and database."""

    def __init__(self, overrides: dict[str, str] | None = None):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="keel-bb-")
        self.secret_key = register_secret("bb-test-SecretKey-" + _secrets.token_hex(20))
        self.env = {
            "APP_ENV": "test",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATABASE_URL": f"sqlite:///{self.tmp}/keel.db",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "info",
            "WORKERS": "2",
            "SECRET_KEY": self.secret_key,
            # The shared server answers a few hundred requests from one address.
            "RATE_LIMIT_PER_MINUTE": "100000",
        }
        if BLACKBOX_DIALECT == "postgres" and "DATABASE_URL" not in (overrides or {}):
            self.env["DATABASE_URL"] = create_postgres_database()
        self.env.update(overrides or {})
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.proc: subprocess.Popen | None = None
        self._files: list = []
        self.exit_code: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self, ready_timeout: float = 10.0) -> "KeelServer":
        """start runs `keel migrate up` (must exit 0), then `keel serve`, and waits for /health 200."""
        binary = require_binary()
        SERVERS.append(self)
        migrate = run_cli(["migrate", "up"], self.env, cwd=self.tmp)
        if migrate.returncode != 0:
            pytest.fail(f"`keel migrate up` exited {migrate.returncode}\nstdout:\n{migrate.stdout}\n"
                        f"stderr:\n{migrate.stderr}")
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        self._files = [out, err]
        self.proc = subprocess.Popen([binary, "serve"], env=clean_env(self.env), cwd=self.tmp,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"keel serve exited early with {self.proc.returncode}\n{self.log_tail()}")
            try:
                if httpx.get(self.url("/health"), timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        pytest.fail(f"keel serve did not answer GET /health 200 within {ready_timeout}s\n{self.log_tail()}")

    def log_text(self) -> str:
        """log_text is everything the process wrote to stdout and stderr so far."""
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    parts.append(f.read().decode("utf-8", errors="replace"))
        return "\n".join(parts)

    def log_tail(self, n: int = 40) -> str:
        lines = self.log_text().splitlines()
        return "log tail:\n" + "\n".join(lines[-n:])

    def stderr_text(self) -> str:
        if not os.path.exists(self.stderr_path):
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def log_lines(self) -> list[dict]:
        """log_lines parses every complete stdout line as JSON; a line that is not a JSON object fails the test."""
        with open(self.stdout_path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if self.proc is not None and self.proc.poll() is None:
            lines = lines[:-1]  # the last piece may still be being written
        parsed = []
        for raw in lines:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                pytest.fail(f"stdout line is not valid JSON ({e}): {raw[:300]!r}")
            if not isinstance(obj, dict):
                pytest.fail(f"stdout line is JSON but not an object: {raw[:300]!r}")
            parsed.append(obj)
        return parsed

    def wait_log(self, predicate: Callable[[dict], bool], count: int = 1,
                 timeout: float = 3.0) -> list[dict]:
        """wait_log waits until at least `count` log lines satisfy predicate and returns all matching lines."""
        def matching() -> list[dict]:
            return [line for line in self.log_lines() if predicate(line)]
        wait_for(lambda: len(matching()) >= count, timeout)
        return matching()

    def access_lines(self, request_id: str, timeout: float = 3.0) -> list[dict]:
        """access_lines returns the access-log lines (msg "request") of one request id, waiting for the first."""
        pred = lambda l: l.get("msg") == "request" and l.get("request_id") == request_id  # noqa: E731
        self.wait_log(pred, 1, timeout)
        time.sleep(0.05)  # give a (wrong) duplicate line the chance to appear too
        return [l for l in self.log_lines() if pred(l)]

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int | None:
        """wait_exit returns the exit code, or None when the process is still running after timeout."""
        assert self.proc is not None
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """stop sends sig and returns the exit code (None if the process did not exit in time)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.send_signal(sig)
        return self.wait_exit(timeout)

    def close(self) -> None:
        """close kills the process if it still runs and closes its log files (the logs stay for the secret scan)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for f in self._files:
            f.close()
        self._files = []

    def remove_tmp(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """sql runs one statement (`?` placeholders) on this server's database, SQLite or
        PostgreSQL, commits, and returns the rows (empty for statements without a result)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                rows = conn.execute(statement, params).fetchall()
                conn.commit()
                return rows
        import psycopg2  # Debian's python3-psycopg2; only the PostgreSQL runs need it
        with psycopg2.connect(url.replace("postgresql://", "postgres://", 1)) as conn, conn.cursor() as cur:
            cur.execute(statement.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class RawResponse:
    """RawResponse is one HTTP/1.1 response read off a raw socket."""
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class ConnectionClosed(Exception):
    """ConnectionClosed: the peer closed (or reset) the connection before a full response arrived."""


class RawConnection:
    """RawConnection is a TCP connection to keel that sends raw bytes and parses HTTP/1.1 responses."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_until_answered(self, data: bytes, chunk: int = 16384) -> bool:
        """send_until_answered sends data piecewise, stopping early when the server answers or closes.

        A server may (and for oversized requests should) answer before it has read
        everything; then our writes fail or the response is already waiting.
        Returns True when every byte was sent.
        """
        for i in range(0, len(data), chunk):
            readable, _, _ = select.select([self.sock], [], [], 0)
            if readable:
                return False
            try:
                self.sock.sendall(data[i:i + chunk])
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                return False
        return True

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError as e:
            raise ConnectionClosed(f"connection reset ({e}); buffered={self.buf[:200]!r}") from e
        if not chunk:
            raise ConnectionClosed(f"connection closed by server; buffered={self.buf[:200]!r}")
        self.buf += chunk

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, head_request: bool = False) -> RawResponse:
        """read_response reads one full response (body per Content-Length, chunked, or until close)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        m = re.match(rb"^HTTP/1\.[01] (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise AssertionError(f"bad status line: {lines[0]!r}")
        status = int(m.group(1))
        reason = (m.group(2) or b"").decode("latin-1")
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers.append((k.decode("latin-1").strip().lower(), v.decode("latin-1").strip()))
        resp = RawResponse(status, reason, headers, b"", head)
        if head_request or status in (204, 304) or 100 <= status < 200:
            return resp
        te = (resp.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line() != b"":
                        pass
                    break
                body += self._read_exact(size)
                self._read_exact(2)
            resp.body = body
        elif resp.header("content-length") is not None:
            resp.body = self._read_exact(int(resp.header("content-length")))
        else:
            try:
                while True:
                    self._fill()
            except ConnectionClosed:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def closed_within(self, timeout: float) -> float | None:
        """closed_within waits for the server to close the connection; returns seconds waited or None.

        Any bytes that arrive meanwhile (e.g. a 408 response) are kept in self.buf.
        """
        start = time.monotonic()
        deadline = start + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([self.sock], [], [], remaining)
            if not readable:
                return None
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return time.monotonic() - start
            if not chunk:
                return time.monotonic() - start
            self.buf += chunk


def raw_request(port: int, data: bytes, head_request: bool = False, timeout: float = 5.0) -> RawResponse:
    """raw_request sends `data` on a new connection and returns the first response."""
    with RawConnection(port, timeout) as conn:
        conn.send_until_answered(data)
        return conn.read_response(head_request=head_request)


def http_get(path: str, port: int, extra: str = "", method: str = "GET") -> bytes:
    """http_get builds the bytes of a simple HTTP/1.1 request (extra: additional header lines, CRLF-terminated)."""
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode("latin-1")


# --------------------------------------------------------------------------- assertions


PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance", "code", "request_id")


def assert_problem(status: int, content_type: str | None, body: bytes | dict, request_id_header: str | None,
                   expected_status: int, expected_code: str, path: str | None) -> dict:
    """assert_problem checks the RFC 9457 shape of an error response; path=None skips the instance check."""
    assert status == expected_status, f"status {status}, expected {expected_status}; body={body!r:.400}"
    assert content_type is not None and content_type.split(";")[0].strip().lower() == "application/problem+json", \
        f"Content-Type {content_type!r} is not application/problem+json"
    doc = body if isinstance(body, dict) else json.loads(body.decode("utf-8"))
    assert isinstance(doc, dict), doc
    missing = [m for m in PROBLEM_MEMBERS if m not in doc]
    assert not missing, f"problem lacks {missing}: {doc}"
    assert doc["code"] == expected_code, doc
    assert doc["type"] == f"urn:keel:problem:{expected_code}", doc
    assert doc["status"] == expected_status and type(doc["status"]) is int, doc
    assert isinstance(doc["title"], str) and doc["title"], doc
    assert isinstance(doc["detail"], str), doc
    assert isinstance(doc["instance"], str), doc
    if path is not None:
        assert doc["instance"] == path, doc
    assert request_id_header, "response has no X-Request-ID header"
    assert doc["request_id"] == request_id_header, (doc["request_id"], request_id_header)
    return doc


def assert_httpx_problem(resp: httpx.Response, expected_status: int, expected_code: str,
                         path: str | None = None) -> dict:
    """assert_httpx_problem is assert_problem for an httpx response; path defaults to the request path."""
    if path is None:
        path = resp.request.url.path
    return assert_problem(resp.status_code, resp.headers.get("content-type"), resp.content,
                          resp.headers.get("x-request-id"), expected_status, expected_code, path)


def assert_raw_problem(resp: RawResponse, expected_status: int, expected_code: str,
                       path: str | None = None) -> dict:
    return assert_problem(resp.status, resp.header("content-type"), resp.body, resp.header("x-request-id"),
                          expected_status, expected_code, path)


def validation_errors(resp: httpx.Response) -> list[dict]:
    """validation_errors checks a 422 validation_error problem and returns its well-formed `errors` list."""
    doc = assert_httpx_problem(resp, 422, "validation_error")
    errors = doc.get("errors")
    assert isinstance(errors, list) and errors, f"422 without errors list: {doc}"
    for e in errors:
        assert isinstance(e, dict), e
        assert isinstance(e.get("loc"), list) and e["loc"], e
        assert isinstance(e.get("msg"), str) and e["msg"], e
        assert isinstance(e.get("type"), str) and e["type"], e
    return errors


# --------------------------------------------------------------------------- Prometheus text


@dataclass
class Sample:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    value: float = 0.0


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_metrics(text: str) -> list[Sample]:
    """parse_metrics parses Prometheus text exposition; an unparseable line is an assertion failure."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        assert m, f"unparseable metrics line: {line!r}"
        labels = {}
        if m.group(2):
            pos = 0
            body = m.group(2).rstrip(",")
            while pos < len(body):
                lm = _LABEL_RE.match(body, pos)
                assert lm, f"unparseable labels in: {line!r}"
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        value = m.group(3)
        samples.append(Sample(m.group(1), labels, float(value.replace("+Inf", "inf").replace("-Inf", "-inf"))))
    return samples


def find_samples(samples: Iterable[Sample], name: str, **labels: str) -> list[Sample]:
    return [s for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
