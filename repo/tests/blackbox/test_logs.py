"""JSON-lines logs (SPEC §10): shape, one access line per request, trace ids, no secrets."""

from __future__ import annotations

import re
import uuid

from keel_harness import register_secret

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
QUERY_TOKEN = register_secret("tok-SECRET-123")
QUERY_PASSWORD = register_secret("pw-SECRET-456")
BEARER = register_secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
API_KEY = register_secret("keel_abcdef_SECRETapikeyvalue0123456789")
COOKIE = register_secret("session=cookie-SECRET-789")

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
LEVELS = {"trace", "debug", "info", "warn", "warning", "error", "critical", "fatal"}


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_every_stdout_line_is_json_with_ts_level_msg(client, server):
    client.get("/health")
    client.get("/nope")
    lines = server.log_lines()  # fails on any non-JSON line
    assert lines, "server wrote no log lines"
    for line in lines:
        assert isinstance(line.get("ts"), str) and TS_RE.match(line["ts"]), line
        assert line.get("level") in LEVELS, line
        assert isinstance(line.get("msg"), str) and line["msg"], line


def test_one_access_line_per_request(client, server):
    rid = fresh_id("acc")
    assert client.get("/health", headers={"X-Request-ID": rid}).status_code == 200
    lines = server.access_lines(rid)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["method"] == "GET"
    assert line["route"] == "/health"
    assert line["path"] == "/health"
    assert line["status"] == 200 and type(line["status"]) is int
    assert isinstance(line["duration_ms"], (int, float)) and not isinstance(line["duration_ms"], bool)
    assert 0 <= line["duration_ms"] < 5000, line
    assert line["client_ip"] == "127.0.0.1"
    assert line["level"] == "info"


def test_access_line_uses_route_template(client, server):
    rid = fresh_id("tmpl")
    assert client.get("/api/v1/demo/pages/42", headers={"X-Request-ID": rid}).status_code == 200
    lines = server.access_lines(rid)
    assert len(lines) == 1, lines
    assert lines[0]["route"] == "/api/v1/demo/pages/{n:int}", lines[0]
    assert lines[0]["path"] == "/api/v1/demo/pages/42", lines[0]


def test_access_line_for_errors(client, server):
    for path, status in (("/no/such/log/path", 404), ("/api/v1/demo/fail", 500)):
        rid = fresh_id("err")
        assert client.get(path, headers={"X-Request-ID": rid}).status_code == status
        lines = server.access_lines(rid)
        assert len(lines) == 1, lines
        assert lines[0]["status"] == status and lines[0]["path"] == path, lines[0]


def test_access_line_for_post_with_validation_error(client, server):
    rid = fresh_id("val")
    resp = client.post("/api/v1/demo/widgets", json={"name": ""}, headers={"X-Request-ID": rid})
    assert resp.status_code == 422
    lines = server.access_lines(rid)
    assert len(lines) == 1, lines
    assert lines[0]["method"] == "POST" and lines[0]["status"] == 422


def test_slow_request_duration_is_measured(client, server):
    rid = fresh_id("dur")
    assert client.get("/api/v1/demo/slow?ms=150", headers={"X-Request-ID": rid}).status_code == 200
    line = server.access_lines(rid)[0]
    assert 140 <= line["duration_ms"] < 3000, line


def test_traceparent_propagates_trace_id(client, server):
    rid = fresh_id("trace")
    resp = client.get("/health", headers={"X-Request-ID": rid, "traceparent": TRACEPARENT})
    assert resp.status_code == 200
    lines = server.access_lines(rid)
    assert len(lines) == 1, lines
    assert lines[0].get("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736", lines[0]


def test_invalid_traceparent_is_not_propagated(client, server):
    rid = fresh_id("badtrace")
    resp = client.get("/health", headers={"X-Request-ID": rid,
                                          "traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"})
    assert resp.status_code == 200
    line = server.access_lines(rid)[0]
    assert line.get("trace_id") != "00000000000000000000000000000000", line


def test_secrets_in_query_and_headers_never_logged(client, server):
    rid = fresh_id("secret")
    resp = client.get(f"/health?token={QUERY_TOKEN}&password={QUERY_PASSWORD}",
                      headers={"X-Request-ID": rid, "Authorization": f"Bearer {BEARER}",
                               "X-API-Key": API_KEY, "Cookie": COOKIE})
    assert resp.status_code == 200
    assert len(server.access_lines(rid)) == 1
    text = server.log_text()
    for secret in (QUERY_TOKEN, QUERY_PASSWORD, BEARER, API_KEY, "cookie-SECRET-789", server.secret_key):
        assert secret not in text, f"{secret!r} appears in the log"


def test_secret_in_404_path_query_not_logged(client, server):
    rid = fresh_id("secret404")
    resp = client.get(f"/no/such/place?password={QUERY_PASSWORD}&token={QUERY_TOKEN}",
                      headers={"X-Request-ID": rid, "Authorization": f"Bearer {BEARER}"})
    assert resp.status_code == 404
    assert len(server.access_lines(rid)) == 1
    text = server.log_text()
    assert QUERY_PASSWORD not in text and QUERY_TOKEN not in text and BEARER not in text


def test_log_lines_of_a_request_carry_its_request_id(client, server):
    rid = fresh_id("fail")
    client.get("/api/v1/demo/fail", headers={"X-Request-ID": rid})
    server.access_lines(rid)
    errors = [l for l in server.log_lines() if l.get("level") == "error"]
    assert any(l.get("request_id") == rid for l in errors), errors[-3:]
