"""Handler/read/idle timeouts and graceful shutdown (SPEC §4 timeouts, §11 graceful shutdown)."""

from __future__ import annotations

import select
import signal
import socket
import threading
import time

import httpx
import pytest

from keel_harness import RawConnection, assert_httpx_problem, http_get


def test_handler_timeout_is_503(make_server):
    srv = make_server({"HANDLER_TIMEOUT_MS": "500"})
    start = time.monotonic()
    resp = httpx.get(srv.url("/api/v1/demo/slow"), params={"ms": 2000}, timeout=10)
    elapsed = time.monotonic() - start
    assert_httpx_problem(resp, 503, "handler_timeout")
    assert 0.4 <= elapsed < 1.5, f"answered after {elapsed:.2f}s; expected about 0.5s"
    # A request within the deadline still succeeds, and the server stays healthy.
    ok = httpx.get(srv.url("/api/v1/demo/slow"), params={"ms": 100}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"slept_ms": 100}
    assert httpx.get(srv.url("/health"), timeout=2).status_code == 200


def _slow_loris(port: int, result: dict) -> None:
    """_slow_loris sends a request one byte every 0.3 s and records when the server cuts it off."""
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode() + b"a" * 100
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = time.monotonic()
    received = b""
    try:
        for i in range(len(request)):
            if time.monotonic() - start > 8:
                break
            try:
                sock.sendall(request[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                result["closed_after"] = time.monotonic() - start
                return
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    result["closed_after"] = time.monotonic() - start
                    return
                received += chunk
    finally:
        result["received"] = received
        sock.close()


def test_slow_loris_is_cut_off_without_blocking_others(make_server):
    srv = make_server({"READ_TIMEOUT_MS": "1000"})
    # More slow clients than WORKERS (2): none of them may hold a worker.
    results = [{} for _ in range(4)]
    threads = [threading.Thread(target=_slow_loris, args=(srv.port, r)) for r in results]
    for t in threads:
        t.start()
    time.sleep(0.4)
    latencies = []
    for _ in range(3):
        start = time.monotonic()
        resp = httpx.get(srv.url("/health"), timeout=5)
        latencies.append(time.monotonic() - start)
        assert resp.status_code == 200
        time.sleep(0.2)
    for t in threads:
        t.join(15)
    assert max(latencies) < 0.5, f"/health was slow while slow-loris clients were connected: {latencies}"
    for r in results:
        assert "closed_after" in r, f"slow-loris client was never cut off: {r}"
        assert 0.7 <= r["closed_after"] <= 3.5, f"cut off after {r['closed_after']:.2f}s, expected ~1s"
        if r.get("received"):
            assert r["received"].startswith(b"HTTP/1.1 408"), r["received"][:200]


def test_idle_keep_alive_connection_is_closed(make_server):
    srv = make_server({"IDLE_TIMEOUT_MS": "500"})
    with RawConnection(srv.port) as conn:
        conn.send(http_get("/health", srv.port))
        assert conn.read_response().status == 200
        waited = conn.closed_within(5.0)
    assert waited is not None, "idle keep-alive connection was not closed within 5s"
    assert 0.3 <= waited <= 1.5, f"closed after {waited:.2f}s, expected ~0.5s"


def test_active_keep_alive_connection_survives_idle_timeout(make_server):
    srv = make_server({"IDLE_TIMEOUT_MS": "500"})
    with RawConnection(srv.port) as conn:
        for _ in range(5):  # 5 requests spread over ~1.2 s, each gap shorter than the idle timeout
            conn.send(http_get("/health", srv.port))
            assert conn.read_response().status == 200
            time.sleep(0.25)


def test_sigterm_drains_in_flight_request(make_server):
    srv = make_server({"SHUTDOWN_GRACE_MS": "5000"})
    result: dict = {}

    def slow():
        try:
            r = httpx.get(srv.url("/api/v1/demo/slow"), params={"ms": 1500}, timeout=10)
            result["status"] = r.status_code
            result["body"] = r.json() if r.status_code == 200 else r.text
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            result["error"] = repr(e)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    sigterm_at = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    time.sleep(0.2)

    probes = []
    while worker.is_alive() and time.monotonic() - sigterm_at < 4:
        for path in ("/health", "/readiness"):
            try:
                r = httpx.get(srv.url(path), timeout=1.0)
                probes.append((path, r.status_code, r.text))
            except httpx.TransportError as e:
                probes.append((path, "refused", type(e).__name__))
        time.sleep(0.1)
    worker.join(10)
    rc = srv.wait_exit(timeout=7)
    exited_after = time.monotonic() - sigterm_at

    assert result.get("status") == 200, f"in-flight request not completed: {result}"
    assert result.get("body") == {"slept_ms": 1500}, result
    assert rc == 0, f"exit code {rc} (None = still running)\n{srv.log_tail()}"
    assert exited_after < 5.0, f"exited {exited_after:.2f}s after SIGTERM (grace 5s)"
    assert probes, "no probe ran during the drain"
    bad = [p for p in probes if p[1] not in ("refused", 503)]
    assert not bad, f"new connections during drain were served normally: {bad}"
    srv.log_lines()  # every line, including shutdown messages, is still JSON


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_on_idle_server_exits_zero(make_server, sig):
    srv = make_server({"SHUTDOWN_GRACE_MS": "5000"})
    assert httpx.get(srv.url("/health")).status_code == 200
    start = time.monotonic()
    rc = srv.stop(sig, timeout=6)
    assert rc == 0, f"exit code {rc} (None = still running)\n{srv.log_tail()}"
    assert time.monotonic() - start < 3.0, "idle server took too long to stop"
    srv.log_lines()
    with pytest.raises(httpx.TransportError):
        httpx.get(srv.url("/health"), timeout=1)
