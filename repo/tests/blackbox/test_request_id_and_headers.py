"""Request ids and the security headers every response carries (SPEC §4)."""

from __future__ import annotations

import pytest

from keel_harness import REQUEST_ID_RE, RawConnection, http_get

# (method, path, json body, expected status) — one of each response class.
RESPONSES = [
    ("GET", "/health", None, 200),
    ("GET", "/api/v1/demo/pages/3", None, 200),
    ("POST", "/api/v1/demo/widgets", {"name": "w", "quantity": 1}, 201),
    ("GET", "/no/such/route", None, 404),
    ("POST", "/health", {}, 405),
    ("POST", "/api/v1/demo/widgets", {"name": ""}, 422),
    ("GET", "/api/v1/demo/fail", None, 500),
]
IDS = [f"{m} {p} {s}" for m, p, _, s in RESPONSES]


def send(client, method, path, body, headers=None):
    return client.request(method, path, json=body, headers=headers or {})


def test_sane_request_id_is_echoed(client):
    resp = client.get("/health", headers={"X-Request-ID": "abc-123_X.y"})
    assert resp.status_code == 200
    assert resp.headers.get("x-request-id") == "abc-123_X.y"


def test_64_char_request_id_is_echoed(client):
    rid = "a" * 60 + "-9.Z"
    assert len(rid) == 64
    assert client.get("/health", headers={"X-Request-ID": rid}).headers.get("x-request-id") == rid


@pytest.mark.parametrize("bad", [
    "a" * 65,
    "has space",
    "<script>",
    "abc<def",
    "semi;colon",
    "quote\"d",
    "caf\xe9-id",
    "",
], ids=["65-chars", "space", "script", "lt", "semicolon", "quote", "non-ascii", "empty"])
def test_insane_request_id_is_replaced(client, bad):
    value = bad.encode("latin-1") if not bad.isascii() else bad
    resp = client.get("/health", headers={"X-Request-ID": value})
    assert resp.status_code == 200
    rid = resp.headers.get("x-request-id")
    assert rid is not None
    assert REQUEST_ID_RE.match(rid), rid
    assert rid != bad


def test_utf8_request_id_is_replaced(server):
    with RawConnection(server.port) as conn:
        conn.send(http_get("/health", server.port).replace(
            b"\r\n\r\n", "\r\nX-Request-ID: r\u00e9sum\u00e9-\u4e2d\r\n\r\n".encode("utf-8")))
        resp = conn.read_response()
    assert resp.status == 200
    rid = resp.header("x-request-id")
    assert rid and REQUEST_ID_RE.match(rid), rid


def test_generated_request_ids_are_unique(client):
    rids = [client.get("/health").headers.get("x-request-id") for _ in range(20)]
    assert all(r and REQUEST_ID_RE.match(r) for r in rids), rids
    assert len(set(rids)) == 20, rids


@pytest.mark.parametrize("method,path,body,status", RESPONSES, ids=IDS)
def test_every_response_has_request_id(client, method, path, body, status):
    resp = send(client, method, path, body)
    assert resp.status_code == status, resp.text
    rid = resp.headers.get("x-request-id")
    assert rid and REQUEST_ID_RE.match(rid), rid
    echoed = send(client, method, path, body, {"X-Request-ID": "echo-" + str(status)})
    assert echoed.headers.get("x-request-id") == "echo-" + str(status)


@pytest.mark.parametrize("method,path,body,status", RESPONSES, ids=IDS)
def test_security_headers_on_every_response(client, method, path, body, status):
    resp = send(client, method, path, body)
    assert resp.status_code == status, resp.text
    h = resp.headers
    assert h.get("x-content-type-options") == "nosniff", h
    assert h.get("x-frame-options") == "DENY", h
    csp = h.get("content-security-policy")
    assert csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp
    assert h.get("referrer-policy") == "no-referrer", h
    assert h.get("permissions-policy"), h
    assert h.get("cross-origin-opener-policy") == "same-origin", h
    assert "no-store" in (h.get("cache-control") or ""), h
    assert "strict-transport-security" not in h, "HSTS must not be sent over plain HTTP"
    assert "server" not in h, h.get("server")


def test_no_hsts_even_with_forwarded_proto_from_untrusted_peer(client):
    # TRUSTED_PROXIES is empty, so X-Forwarded-Proto from us must not be believed.
    resp = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 200
    assert "strict-transport-security" not in resp.headers


def test_request_id_with_traceparent_is_still_echoed(client):
    resp = client.get("/health", headers={
        "X-Request-ID": "tp-echo-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    assert resp.headers.get("x-request-id") == "tp-echo-1"
