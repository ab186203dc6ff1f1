"""Fixtures of the black-box suite (see keel_harness.py for the helpers).

- `server`/`client`: one shared default server for the whole session (most tests).
- `make_server(overrides)`: a fresh server with special settings, killed after the test.
- At session end every server log (stdout and stderr) is scanned for the secret
  values the tests handed to keel; any hit is reported as an error.

Set KEEL_BB_KEEP=1 to keep the servers' temp dirs (logs, databases) for debugging.
"""

from __future__ import annotations

import os

import httpx
import pytest

from keel_harness import SECRETS, SERVERS, KeelServer


@pytest.fixture(scope="session", autouse=True)
def _secret_scan():
    """_secret_scan runs after every other fixture is torn down and greps all logs for test secrets."""
    yield
    for srv in SERVERS:
        srv.close()
    leaks = []
    for srv in SERVERS:
        text = srv.log_text()
        for secret in sorted(SECRETS):
            if secret and secret in text:
                leaks.append(f"{secret!r} found in the log of server {srv.tmp}")
    if not os.environ.get("KEEL_BB_KEEP") and not leaks:
        for srv in SERVERS:
            srv.remove_tmp()
    assert not leaks, "secrets leaked into logs:\n" + "\n".join(leaks)


@pytest.fixture(scope="session")
def server() -> KeelServer:
    """server is the shared default keel (APP_ENV=test, sqlite, JSON logs, WORKERS=2)."""
    srv = KeelServer()
    try:
        yield srv.start()
    finally:
        srv.close()


@pytest.fixture(scope="session")
def client(server: KeelServer) -> httpx.Client:
    """client is an httpx client bound to the shared server."""
    with httpx.Client(base_url=server.base_url, timeout=10.0) as c:
        yield c


@pytest.fixture
def make_server():
    """make_server(overrides) starts a dedicated server for one test and kills it afterwards."""
    started: list[KeelServer] = []

    def factory(overrides: dict[str, str] | None = None) -> KeelServer:
        srv = KeelServer(overrides)
        started.append(srv)
        return srv.start()

    yield factory
    for srv in started:
        srv.close()
