"""Error responses (SPEC §4): RFC 9457 problem+json with stable codes for every failure class."""

from __future__ import annotations

import pytest

from keel_harness import RawConnection, assert_httpx_problem, assert_raw_problem, http_get

WIDGETS = "/api/v1/demo/widgets"


def test_unknown_path_is_404_problem(client):
    resp = client.get("/no/such/path")
    assert_httpx_problem(resp, 404, "not_found")


def test_unknown_api_path_is_404_problem(client):
    resp = client.get("/api/v1/demo/does-not-exist")
    assert_httpx_problem(resp, 404, "not_found")


def test_wrong_method_is_405_with_allow(client):
    resp = client.post("/health", json={})
    assert_httpx_problem(resp, 405, "method_not_allowed")
    allow = resp.headers.get("allow")
    assert allow is not None, "405 without Allow header"
    assert {m.strip() for m in allow.split(",")} == {"GET", "HEAD"}, allow


def test_wrong_method_on_api_route_lists_allowed_methods(client):
    resp = client.delete(WIDGETS)
    assert_httpx_problem(resp, 405, "method_not_allowed")
    assert "POST" in {m.strip() for m in resp.headers.get("allow", "").split(",")}, resp.headers


def test_text_plain_on_json_route_is_415(client):
    resp = client.post(WIDGETS, content=b'{"name":"a","quantity":1}',
                       headers={"Content-Type": "text/plain"})
    assert_httpx_problem(resp, 415, "unsupported_media_type")


def test_unacceptable_accept_is_406(client):
    resp = client.get("/health", headers={"Accept": "application/xml"})
    assert_httpx_problem(resp, 406, "not_acceptable")


@pytest.mark.parametrize("accept", ["*/*", "application/*", "application/json;q=0.5",
                                    "application/json", "text/html;q=0.9, application/json;q=0.1"])
def test_acceptable_accept_is_200(client, accept):
    resp = client.get("/health", headers={"Accept": accept})
    assert resp.status_code == 200, (accept, resp.status_code, resp.text)
    assert resp.json() == {"status": "ok"}


def test_no_accept_header_is_200(server):
    # httpx always sends Accept, so use a raw request without one.
    with RawConnection(server.port) as conn:
        conn.send(http_get("/health", server.port))
        resp = conn.read_response()
    assert resp.status == 200, resp
    assert resp.json() == {"status": "ok"}


def test_malformed_json_is_400_invalid_json(client):
    resp = client.post(WIDGETS, content=b'{"name": "a", "quantity": ',
                       headers={"Content-Type": "application/json"})
    assert_httpx_problem(resp, 400, "invalid_json")


@pytest.mark.parametrize("body", [b"{'name': 'single quotes'}", b'{"name":"a",}', b"nul\x00l",
                                  b'{"name":"\xff\xfe","quantity":1}'])
def test_other_malformed_json_is_400(client, body):
    resp = client.post(WIDGETS, content=body, headers={"Content-Type": "application/json"})
    assert_httpx_problem(resp, 400, "invalid_json")


def test_json_nested_100_levels_is_400(client):
    body = ('{"a":' * 100 + "1" + "}" * 100).encode()
    resp = client.post(WIDGETS, content=body, headers={"Content-Type": "application/json"})
    assert_httpx_problem(resp, 400, "invalid_json")


def test_json_array_nested_100_levels_is_400(client):
    body = ("[" * 100 + "]" * 100).encode()
    resp = client.post(WIDGETS, content=body, headers={"Content-Type": "application/json"})
    assert_httpx_problem(resp, 400, "invalid_json")


FORBIDDEN_IN_500 = ("sqlite", "/etc", "exception", "what()", "std::", "boost", ".cpp", "stack")


def test_internal_error_is_opaque_500(client, server):
    resp = client.get("/api/v1/demo/fail")
    doc = assert_httpx_problem(resp, 500, "internal_error")
    text = resp.text.lower()
    for needle in FORBIDDEN_IN_500:
        assert needle.lower() not in text, f"500 body reveals {needle!r}: {resp.text}"
    assert set(doc) - {"type", "title", "status", "detail", "instance", "code", "request_id"} == set(), \
        f"500 problem has extra members that may leak internals: {doc}"


def test_internal_error_is_logged_with_request_id(client, server):
    resp = client.get("/api/v1/demo/fail", headers={"X-Request-ID": "fail-log-check-1"})
    assert resp.status_code == 500
    assert resp.headers.get("x-request-id") == "fail-log-check-1"
    errors = server.wait_log(lambda l: l.get("level") == "error"
                             and l.get("request_id") == "fail-log-check-1")
    assert errors, "no log line with level=error and the request id of the failed request"


def test_problem_instance_excludes_query(client):
    resp = client.get("/no/such/thing?x=1")
    assert_httpx_problem(resp, 404, "not_found", path="/no/such/thing")


def test_garbage_request_line_is_400(server):
    with RawConnection(server.port) as conn:
        conn.send(b"this is not http at all\r\n\r\n")
        resp = conn.read_response()
    assert resp.status == 400, resp


def test_error_raw_response_is_problem(server):
    with RawConnection(server.port) as conn:
        conn.send(http_get("/nope", server.port))
        resp = conn.read_response()
    assert_raw_problem(resp, 404, "not_found", "/nope")
