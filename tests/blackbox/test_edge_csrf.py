"""CSRF (SPEC §4, docs/security-edge.md#csrf): Keel's credentials are bearer tokens and
API keys sent in headers, never cookies, so a browser cannot attach them to a
cross-site request. Keel never sets a cookie and never reads credentials from one."""

from __future__ import annotations

import httpx
import pytest

from keel_harness import register_secret

METRICS_TOKEN = register_secret("bb-csrf-metrics-Token-77a1")

# One of each kind of answer the edge produces.
REQUESTS = [
    ("GET", "/health", {}),
    ("GET", "/api/v1/demo/pages/1", {"Accept-Encoding": "gzip"}),
    ("POST", "/api/v1/demo/widgets", {}),
    ("GET", "/no/such/route", {}),
    ("OPTIONS", "/api/v1/demo/widgets", {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}),
    ("GET", "/metrics", {"Accept-Encoding": "gzip"}),
    ("GET", "/api/v1/demo/pages/1", {"Host": "evil.example"}),
]


@pytest.fixture(scope="module")
def edge_server():
    from keel_harness import KeelServer
    srv = KeelServer({"CORS_ORIGINS": "https://app.example.com", "RATE_LIMIT_PER_MINUTE": "10",
                      "METRICS_TOKEN": METRICS_TOKEN})
    try:
        yield srv.start()
    finally:
        srv.close()


def test_no_response_ever_sets_a_cookie(edge_server):
    statuses = set()
    with httpx.Client(base_url=edge_server.base_url) as client:
        for _ in range(6):  # enough to reach the 429s too
            for method, path, headers in REQUESTS:
                resp = client.request(method, path, headers=headers,
                                      json={"name": "c", "quantity": 1} if method == "POST" else None)
                statuses.add(resp.status_code)
                assert "set-cookie" not in resp.headers, (method, path, resp.headers.get("set-cookie"))
    assert {200, 201, 204, 400, 401, 404, 429} <= statuses, statuses


@pytest.mark.parametrize("cookie", [
    f"access_token={METRICS_TOKEN}",
    f"Authorization=Bearer {METRICS_TOKEN}",
    f"token={METRICS_TOKEN}; session={METRICS_TOKEN}",
])
def test_credentials_in_cookies_are_ignored(edge_server, cookie):
    resp = httpx.get(edge_server.url("/metrics"), headers={"Cookie": cookie})
    assert resp.status_code == 401, resp.text
    assert resp.json()["code"] == "unauthorized"
    ok = httpx.get(edge_server.url("/metrics"), headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert ok.status_code == 200
