"""Trusted hosts, trusted proxies (X-Forwarded-For/-Proto) and FORCE_HTTPS (SPEC §4)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from keel_harness import assert_httpx_problem, assert_raw_problem, http_get, raw_request

PAGE = "/api/v1/demo/pages/1"
HSTS = "max-age=63072000; includeSubDomains"


def raw_get(port: int, path: str, host: str, extra: str = "", method: str = "GET"):
    data = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")
    return raw_request(port, data)


def rid() -> str:
    return "edge-" + uuid.uuid4().hex[:16]


# ---------------------------------------------------------------- trusted hosts

def test_untrusted_host_is_refused_with_400(server):
    resp = raw_get(server.port, PAGE, "evil.example")
    assert_raw_problem(resp, 400, "untrusted_host", PAGE)


def test_default_trusted_hosts_accept_localhost_and_loopback(server):
    assert raw_get(server.port, PAGE, f"localhost:{server.port}").status == 200
    assert raw_get(server.port, PAGE, f"127.0.0.1:{server.port}").status == 200
    assert raw_get(server.port, PAGE, "LOCALHOST").status == 200


def test_configured_names_and_wildcards(make_server):
    srv = make_server({"TRUSTED_HOSTS": "api.example.com,*.example.org,127.0.0.1"})
    assert raw_get(srv.port, PAGE, "api.example.com").status == 200
    assert raw_get(srv.port, PAGE, "api.example.com:443").status == 200
    assert raw_get(srv.port, PAGE, "eu.example.org").status == 200
    assert raw_get(srv.port, PAGE, "a.b.example.org").status == 200
    for host in ("example.org", "evil-example.org", "api.example.com.evil.test", "localhost", "[::1]"):
        assert_raw_problem(raw_get(srv.port, PAGE, host), 400, "untrusted_host", PAGE)


def test_probes_work_with_any_host(make_server):
    # kubelet sends Host = the pod IP, which no one can list in TRUSTED_HOSTS.
    srv = make_server({"TRUSTED_HOSTS": "api.example.com,127.0.0.1"})
    assert raw_get(srv.port, "/health", "10.244.1.17:8000").status == 200
    assert raw_get(srv.port, "/readiness", "10.244.1.17:8000").status == 200
    assert_raw_problem(raw_get(srv.port, "/metrics", "10.244.1.17:8000"), 400, "untrusted_host", "/metrics")


def test_http10_request_without_host_is_refused(server):
    resp = raw_request(server.port, f"GET {PAGE} HTTP/1.0\r\n\r\n".encode())
    assert_raw_problem(resp, 400, "untrusted_host", PAGE)


# ---------------------------------------------------------------- trusted proxies

def access_line(srv, request_id: str) -> dict:
    lines = srv.access_lines(request_id)
    assert len(lines) == 1, lines
    return lines[0]


def test_spoofed_forwarded_headers_from_an_untrusted_peer_are_ignored(server):
    request_id = rid()
    resp = httpx.get(server.url(PAGE), headers={"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "https",
                                                "X-Request-ID": request_id})
    assert resp.status_code == 200
    assert "strict-transport-security" not in resp.headers
    assert access_line(server, request_id)["client_ip"] == "127.0.0.1"


def test_trusted_proxy_headers_are_believed(make_server):
    srv = make_server({"TRUSTED_PROXIES": "127.0.0.1"})
    request_id = rid()
    # The client wrote 6.6.6.6 itself; the proxy appended the address it saw.
    resp = httpx.get(srv.url(PAGE), headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.77",
                                             "X-Forwarded-Proto": "https", "X-Request-ID": request_id})
    assert resp.status_code == 200
    assert resp.headers.get("strict-transport-security") == HSTS
    assert access_line(srv, request_id)["client_ip"] == "203.0.113.77"

    request_id = rid()
    resp = httpx.get(srv.url(PAGE), headers={"X-Forwarded-Proto": "http", "X-Request-ID": request_id})
    assert "strict-transport-security" not in resp.headers
    assert access_line(srv, request_id)["client_ip"] == "127.0.0.1"


def test_proxy_chain_skips_every_trusted_hop(make_server):
    srv = make_server({"TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"})
    request_id = rid()
    httpx.get(srv.url(PAGE), headers={"X-Forwarded-For": "198.51.100.9, 10.1.2.3, 10.0.0.4",
                                      "X-Request-ID": request_id})
    assert access_line(srv, request_id)["client_ip"] == "198.51.100.9"


# ---------------------------------------------------------------- FORCE_HTTPS

@pytest.fixture(scope="module")
def https_only():
    from keel_harness import KeelServer
    srv = KeelServer({"FORCE_HTTPS": "true", "TRUSTED_PROXIES": "127.0.0.1"})
    try:
        yield srv.start()
    finally:
        srv.close()


def test_plain_get_and_head_are_redirected_308(https_only):
    resp = raw_get(https_only.port, PAGE + "?x=1&y=%20z", f"localhost:{https_only.port}")
    assert resp.status == 308
    assert resp.header("location") == f"https://localhost{PAGE}?x=1&y=%20z"
    assert resp.header("x-request-id")
    assert resp.header("strict-transport-security") is None  # never over plain HTTP
    head = raw_request(https_only.port, http_get(PAGE, https_only.port, method="HEAD"), head_request=True)
    assert head.status == 308
    assert head.header("location") == f"https://127.0.0.1{PAGE}"


def test_plain_unsafe_methods_are_refused_403(https_only):
    resp = httpx.post(https_only.url("/api/v1/demo/widgets"), json={"name": "x", "quantity": 1})
    assert_httpx_problem(resp, 403, "https_required")
    assert httpx.delete(https_only.url(PAGE)).status_code == 403


def test_requests_that_came_over_https_via_the_proxy_are_served(https_only):
    resp = httpx.post(https_only.url("/api/v1/demo/widgets"), json={"name": "x", "quantity": 1},
                      headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 201
    assert resp.headers.get("strict-transport-security") == HSTS


def test_probes_are_not_redirected(https_only):
    assert httpx.get(https_only.url("/health")).status_code == 200
    assert httpx.get(https_only.url("/readiness")).status_code == 200


def test_redirect_never_points_at_an_untrusted_host(https_only):
    resp = raw_get(https_only.port, PAGE, "evil.example")
    assert_raw_problem(resp, 400, "untrusted_host", PAGE)
