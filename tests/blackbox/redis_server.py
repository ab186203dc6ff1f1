"""A throwaway redis-server for the black-box suite, on a free loopback port.

    with RedisServer() as redis:
        srv = KeelServer({"REDIS_URL": redis.url}).start()
        assert redis.command("PING") == "PONG"
        redis.stop()        # simulate an outage
        redis.start()       # same port again

Nothing is persisted (no RDB, no AOF); the process is killed at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from keel_harness import free_port


def redis_binary() -> str:
    """redis_binary returns redis-server's path or fails the test (scripts/setup installs it)."""
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(path, os.X_OK):
        pytest.fail("redis-server not found: run scripts/setup (package redis-server)")
    return path


class RedisServer:
    """RedisServer is one redis-server process bound to 127.0.0.1 on its own port."""

    def __init__(self, password: str | None = None):
        self.port = free_port()
        self.password = password
        self.tmp = tempfile.mkdtemp(prefix="keel-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 5.0) -> "RedisServer":
        """start launches redis-server and waits until it answers PING."""
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no",
                "--save", "", "--appendonly", "no", "--dir", self.tmp, "--logfile", os.path.join(self.tmp, "log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode} (port {self.port})")
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        pytest.fail(f"redis-server did not answer PING within {timeout}s")

    def stop(self) -> None:
        """stop kills the server (an abrupt outage, as keel would see it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def command(self, *args: str):
        """command sends one command (RESP) and returns the decoded reply; errors come back as RuntimeError."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as sock:
            reader = sock.makefile("rb")
            if self.password:
                sock.sendall(_encode("AUTH", self.password))
                _decode(reader)
            sock.sendall(_encode(*args))
            return _decode(reader)


def _encode(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


def _decode(reader):
    line = reader.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)[:-2]
        return data.decode()
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_decode(reader) for _ in range(count)]
    raise ValueError(f"unexpected RESP line {line!r}")
