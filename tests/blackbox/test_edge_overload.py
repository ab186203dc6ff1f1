"""Overload protection (SPEC §4/§12): the in-flight cap and the per-client
connection cap answer 503 + Retry-After instead of queueing without bound.
Everything stays on loopback and small (tens of sockets)."""

from __future__ import annotations

import concurrent.futures
import select
import socket
import time

import httpx

from keel_harness import ConnectionClosed, RawConnection, assert_httpx_problem, assert_raw_problem, http_get

SLOW = "/api/v1/demo/slow?ms=1000"


def test_in_flight_cap_sheds_load_with_503_and_retry_after(make_server):
    srv = make_server({"MAX_IN_FLIGHT": "2", "WORKERS": "1"})
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(httpx.get, srv.url(SLOW), timeout=15) for _ in range(6)]
        time.sleep(0.3)
        # Inline routes never block, so probes and scrapes still answer during the overload.
        assert httpx.get(srv.url("/health"), timeout=2).status_code == 200
        assert httpx.get(srv.url("/metrics"), timeout=2).status_code == 200
        responses = [f.result() for f in futures]
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503, 503, 503, 503], statuses
    for resp in responses:
        if resp.status_code == 503:
            assert_httpx_problem(resp, 503, "service_unavailable", "/api/v1/demo/slow")
            assert resp.headers["retry-after"] == "1"
    # Once the load is gone, requests are served again.
    assert httpx.get(srv.url("/api/v1/demo/slow?ms=1"), timeout=5).status_code == 200


def open_served(port: int) -> RawConnection:
    """open_served opens a keep-alive connection and proves it is served."""
    conn = RawConnection(port)
    conn.send(http_get("/health", port))
    assert conn.read_response().status == 200
    return conn


def test_connections_per_client_are_capped(make_server):
    srv = make_server({"MAX_CONNECTIONS_PER_CLIENT": "8"})
    time.sleep(0.3)  # the harness's readiness polls must have closed first
    held = [open_served(srv.port) for _ in range(8)]
    try:
        for _ in range(3):
            with RawConnection(srv.port) as extra:
                # Refused at once, before any request is read.
                resp = extra.read_response()
                assert_raw_problem(resp, 503, "service_unavailable", "/")
                assert resp.header("retry-after") == "1"
                assert extra.closed_within(3.0) is not None
        # The held connections still work.
        held[0].send(http_get("/health", srv.port))
        assert held[0].read_response().status == 200
    finally:
        for conn in held:
            conn.close()
    # Closing them frees the client's share.
    time.sleep(0.2)
    with open_served(srv.port):
        pass


def test_connection_flood_from_one_client_is_bounded(make_server):
    srv = make_server({"MAX_CONNECTIONS_PER_CLIENT": "16"})
    time.sleep(0.3)  # the harness's readiness polls must have closed first
    sockets = []
    try:
        for _ in range(150):
            sockets.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
        # Refused sockets get their 503 at once; served ones wait for a request.
        deadline = time.monotonic() + 3.0
        answered: set[socket.socket] = set()
        while len(answered) < 150 - 16 and time.monotonic() < deadline:
            readable, _, _ = select.select([s for s in sockets if s not in answered], [], [], 0.5)
            for sock in readable:
                assert sock.recv(4096).startswith(b"HTTP/1.1 503")
                answered.add(sock)
        time.sleep(0.3)
        late, _, _ = select.select([s for s in sockets if s not in answered], [], [], 0)
        assert not late, "a socket within the cap was answered without a request"
        served, refused = 150 - len(answered), len(answered)
        assert served == 16, (served, refused)
        assert refused == 150 - 16
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(srv.url("/health")).status_code == 200


def test_trusted_proxies_are_exempt_from_the_per_client_cap(make_server):
    srv = make_server({"MAX_CONNECTIONS_PER_CLIENT": "4", "TRUSTED_PROXIES": "127.0.0.1"})
    held = [open_served(srv.port) for _ in range(10)]
    for conn in held:
        conn.close()


def test_refused_connection_does_not_hang_on_a_request_it_never_reads(make_server):
    srv = make_server({"MAX_CONNECTIONS_PER_CLIENT": "1"})
    time.sleep(0.3)  # the harness's readiness polls must have closed first
    with open_served(srv.port):
        with RawConnection(srv.port) as extra:
            try:
                extra.send(http_get("/health", srv.port))
            except OSError:
                pass
            try:
                assert extra.read_response().status == 503
            except ConnectionClosed:
                pass  # a reset after the 503 was sent is acceptable for a refused socket
