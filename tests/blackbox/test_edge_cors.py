"""CORS from CORS_ORIGINS (SPEC §4): exact origins, no reflection, preflights, Vary: Origin."""

from __future__ import annotations

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem

ALLOWED = "https://app.example.com"
WIDGETS = "/api/v1/demo/widgets"
CORS_RESPONSE_HEADERS = ("access-control-allow-origin", "access-control-allow-methods",
                         "access-control-allow-headers", "access-control-max-age",
                         "access-control-allow-credentials", "access-control-expose-headers")


@pytest.fixture(scope="module")
def cors_client():
    """cors_client talks to a keel that allows two origins."""
    srv = KeelServer({"CORS_ORIGINS": f"{ALLOWED},http://localhost:3000"})
    try:
        srv.start()
        with httpx.Client(base_url=srv.base_url, timeout=10.0) as c:
            yield c
    finally:
        srv.close()


def vary_tokens(resp: httpx.Response) -> set[str]:
    return {t.strip().lower() for v in resp.headers.get_list("vary") for t in v.split(",")}


def preflight(client, origin: str, method: str = "POST", headers: str = "authorization, content-type"):
    return client.options(WIDGETS, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                            "Access-Control-Request-Headers": headers})


def test_allowed_origin_gets_its_own_origin_back(cors_client):
    resp = cors_client.get("/api/v1/demo/pages/1", headers={"Origin": ALLOWED})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in vary_tokens(resp)
    exposed = {h.strip().lower() for h in resp.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "ratelimit", "ratelimit-policy", "retry-after", "location", "etag"} <= exposed
    # Bearer tokens only: browsers are never told to send cookies.
    assert "access-control-allow-credentials" not in resp.headers


def test_second_configured_origin_is_matched_exactly(cors_client):
    resp = cors_client.get("/health", headers={"Origin": "http://localhost:3000"})
    assert resp.headers["access-control-allow-origin"] == "http://localhost:3000"


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "https://app.example.com.evil.example",   # suffix trick
    "https://evilapp.example.com",
    "http://app.example.com",                  # wrong scheme
    "https://app.example.com:8443",            # wrong port
    "null",                                    # sandboxed iframe / file:
    "https://app.example.com/",                # not an origin
])
def test_other_origins_are_never_reflected(cors_client, origin):
    resp = cors_client.get("/api/v1/demo/pages/1", headers={"Origin": origin})
    assert resp.status_code == 200
    for name in CORS_RESPONSE_HEADERS:
        assert name not in resp.headers, (origin, name, resp.headers.get(name))
    assert "origin" in vary_tokens(resp)


def test_responses_without_origin_still_vary_on_origin(cors_client):
    resp = cors_client.get("/api/v1/demo/pages/1")
    assert "access-control-allow-origin" not in resp.headers
    assert "origin" in vary_tokens(resp)


def test_allowed_preflight_is_answered_204_with_the_lists(cors_client):
    resp = preflight(cors_client, ALLOWED)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers["access-control-allow-origin"] == ALLOWED
    methods = {m.strip() for m in resp.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    allowed_headers = {h.strip().lower() for h in resp.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-api-key", "x-request-id", "if-match"} <= allowed_headers
    assert resp.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in resp.headers
    assert {"origin", "access-control-request-method"} <= vary_tokens(resp)
    assert resp.headers.get("x-request-id")  # still went through the outer stages
    assert resp.headers.get("x-content-type-options") == "nosniff"


def test_disallowed_preflight_gets_no_cors_headers(cors_client):
    resp = preflight(cors_client, "https://evil.example")
    # Routing answers it as a plain OPTIONS; the browser then blocks the request.
    assert resp.status_code in (204, 404, 405)
    for name in CORS_RESPONSE_HEADERS:
        assert name not in resp.headers, (name, resp.headers.get(name))


def test_error_answers_carry_cors_headers_for_allowed_origins(cors_client):
    resp = cors_client.get("/no/such/route", headers={"Origin": ALLOWED})
    assert_httpx_problem(resp, 404, "not_found")
    assert resp.headers["access-control-allow-origin"] == ALLOWED
    resp = cors_client.post(WIDGETS, json={"name": ""}, headers={"Origin": ALLOWED})
    assert resp.status_code == 422
    assert resp.headers["access-control-allow-origin"] == ALLOWED


def test_actual_cross_origin_post_works(cors_client):
    resp = cors_client.post(WIDGETS, json={"name": "cors", "quantity": 2}, headers={"Origin": ALLOWED})
    assert resp.status_code == 201
    assert resp.headers["access-control-allow-origin"] == ALLOWED


def test_without_cors_origins_there_are_no_cors_headers(client):
    resp = client.get("/health", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in resp.headers
    resp = client.options(WIDGETS, headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in resp.headers


def test_star_allows_any_origin_without_credentials(make_server):
    srv = make_server({"CORS_ORIGINS": "*"})
    resp = httpx.get(srv.url("/health"), headers={"Origin": "https://anyone.example"})
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in resp.headers
    resp = httpx.get(srv.url("/health"), headers={"Origin": "null"})
    assert "access-control-allow-origin" not in resp.headers
