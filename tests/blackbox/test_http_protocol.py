"""HTTP/1.1 on raw sockets: keep-alive, pipelining, HEAD, and the size limits (SPEC §4)."""

from __future__ import annotations

import httpx
import pytest

from keel_harness import (REQUEST_ID_RE, KeelServer, RawConnection, assert_raw_problem,
                          http_get, raw_request)

WIDGETS = "/api/v1/demo/widgets"


@pytest.fixture(scope="module")
def small_body_server():
    """small_body_server caps request bodies at 1024 bytes."""
    srv = KeelServer({"MAX_BODY_BYTES": "1024"})
    try:
        yield srv.start()
    finally:
        srv.close()


def assert_healthy(srv: KeelServer) -> None:
    """assert_healthy: a brand-new connection still gets /health 200."""
    resp = httpx.get(srv.url("/health"), timeout=3.0)
    assert resp.status_code == 200, resp.text


# --------------------------------------------------------------------------- connections


def test_keep_alive_two_requests_one_connection(server):
    with RawConnection(server.port) as conn:
        conn.send(http_get("/health", server.port))
        first = conn.read_response()
        conn.send(http_get("/readiness", server.port))
        second = conn.read_response()
    assert first.status == 200 and first.json() == {"status": "ok"}
    assert second.status == 200 and second.json()["status"] == "ok"
    assert (first.header("connection") or "").lower() != "close"


def test_pipelining_three_requests_in_one_send(server):
    ids = ["pipe-1", "pipe-2", "pipe-3"]
    data = b"".join(http_get("/health", server.port, f"X-Request-ID: {rid}\r\n") for rid in ids)
    with RawConnection(server.port) as conn:
        conn.send(data)
        responses = [conn.read_response() for _ in ids]
    assert [r.status for r in responses] == [200, 200, 200]
    assert [r.header("x-request-id") for r in responses] == ids, "responses out of order or ids lost"
    assert all(r.json() == {"status": "ok"} for r in responses)


def test_pipelining_generated_ids_are_distinct(server):
    data = http_get("/health", server.port) * 3
    with RawConnection(server.port) as conn:
        conn.send(data)
        responses = [conn.read_response() for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 200]
    rids = [r.header("x-request-id") for r in responses]
    assert all(rid and REQUEST_ID_RE.match(rid) for rid in rids), rids
    assert len(set(rids)) == 3, rids


def test_pipelining_mixed_routes_keep_order(server):
    data = (http_get("/health", server.port) + http_get("/nope-pipe", server.port)
            + http_get("/api/v1/demo/pages/5", server.port))
    with RawConnection(server.port) as conn:
        conn.send(data)
        responses = [conn.read_response() for _ in range(3)]
    assert [r.status for r in responses] == [200, 404, 200]
    assert responses[2].json() == {"n": 5}


def test_head_health_has_length_but_no_body(server):
    with RawConnection(server.port) as conn:
        conn.send(http_get("/health", server.port))
        get = conn.read_response()
        conn.send(http_get("/health", server.port, method="HEAD"))
        head = conn.read_response(head_request=True)
        # If HEAD had sent a body, those bytes would now precede the next status line.
        conn.send(http_get("/health", server.port))
        after = conn.read_response()
    assert head.status == 200
    assert head.header("content-length") is not None, head.headers
    assert int(head.header("content-length")) == len(get.body)
    assert after.status == 200 and after.json() == {"status": "ok"}


def test_no_server_header_anywhere(server):
    requests = [http_get("/health", server.port), http_get("/nope", server.port),
                http_get("/health", server.port, method="POST"),
                http_get("/api/v1/demo/fail", server.port), http_get("/metrics", server.port)]
    for data in requests:
        resp = raw_request(server.port, data)
        assert resp.header("server") is None, (data, resp.headers)


def test_garbage_request_line_is_400_and_server_survives(server):
    with RawConnection(server.port) as conn:
        conn.send(b"\x16\x03\x01\x00garbage that is no request line\r\n\r\n")
        try:
            resp = conn.read_response()
            assert resp.status == 400, resp
        except Exception as e:  # noqa: BLE001 - the assertion below explains
            pytest.fail(f"garbage request line got no 400 response: {e}")
    assert_healthy(server)


# --------------------------------------------------------------------------- limits


def test_body_over_limit_with_content_length_is_413(small_body_server):
    srv = small_body_server
    body = b'{"name":"' + b"a" * 2030 + b'","quantity":1}'
    assert len(body) > 2000
    data = (f"POST {WIDGETS} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    resp = raw_request(srv.port, data)
    assert_raw_problem(resp, 413, "payload_too_large", WIDGETS)
    assert resp.header("x-request-id")
    assert_healthy(srv)


def test_body_of_one_mib_is_413_without_reading_it(small_body_server):
    srv = small_body_server
    body = b"x" * (1024 * 1024)
    head = (f"POST {WIDGETS} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with RawConnection(srv.port) as conn:
        conn.send(head)
        conn.send_until_answered(body)
        resp = conn.read_response()
    assert_raw_problem(resp, 413, "payload_too_large", WIDGETS)
    assert_healthy(srv)


def test_body_under_limit_is_accepted(small_body_server):
    resp = httpx.post(small_body_server.url(WIDGETS), json={"name": "small", "quantity": 1})
    assert resp.status_code == 201, resp.text


def test_chunked_body_over_limit_is_413(small_body_server):
    srv = small_body_server
    chunk = b"y" * 512
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"
    head = (f"POST {WIDGETS} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    with RawConnection(srv.port) as conn:
        conn.send(head)
        conn.send_until_answered(chunks, chunk=600)
        resp = conn.read_response()
    assert_raw_problem(resp, 413, "payload_too_large", WIDGETS)
    assert_healthy(srv)


def test_header_section_over_16k_is_431(server):
    data = http_get("/health", server.port, "X-Big: " + "a" * 20480 + "\r\n")
    with RawConnection(server.port) as conn:
        conn.send_until_answered(data)
        resp = conn.read_response()
    assert_raw_problem(resp, 431, "header_too_large", None)
    assert_healthy(server)


def test_many_headers_over_16k_is_431(server):
    extra = "".join(f"X-H{i}: {'b' * 100}\r\n" for i in range(200))
    with RawConnection(server.port) as conn:
        conn.send_until_answered(http_get("/health", server.port, extra))
        resp = conn.read_response()
    assert_raw_problem(resp, 431, "header_too_large", None)


def test_headers_under_limit_are_fine(server):
    resp = raw_request(server.port, http_get("/health", server.port, "X-Big: " + "a" * 8000 + "\r\n"))
    assert resp.status == 200


def test_uri_over_8k_is_414(server):
    path = "/health?q=" + "a" * 9000
    with RawConnection(server.port) as conn:
        conn.send_until_answered(http_get(path, server.port))
        resp = conn.read_response()
    assert_raw_problem(resp, 414, "uri_too_long", None)
    assert_healthy(server)


def test_uri_just_under_limit_is_not_414(server):
    path = "/health?q=" + "a" * 7000
    resp = raw_request(server.port, http_get(path, server.port))
    assert resp.status == 200, resp.status
