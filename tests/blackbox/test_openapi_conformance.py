"""What the server returns matches what /openapi.json documents (issue 7).

Each sample request is answered by the real server; the answer's status must
be listed explicitly for its operation (not only under `default`), its media
type must be documented for that status, its body must validate against the
documented schema, and every header the document marks `required` must be
present. The document is always the one the answering server serves, since
the route table depends on the configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from keel_harness import register_secret
from test_openapi import operation_for, resolve, validator

METRICS_TOKEN = register_secret("conformance-metrics-token-0123456789")


@dataclass
class Sample:
    """Sample is one request and the status it must get."""
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] | None = None


WIDGET = {"name": "Sprocket", "quantity": 3, "email": "ops@example.com", "color": "red", "tags": ["new"],
          "code": "ABC"}
JSON = {"Content-Type": "application/json"}


def check_response(spec: dict, resp: httpx.Response) -> str:
    """check_response validates one answer against the document; returns 'METHOD template status'."""
    method = resp.request.method
    # HEAD is answered by the GET operation, without the body.
    template, op = operation_for(spec, "GET" if method == "HEAD" else method, resp.request.url.path)
    where = f"{method} {template} {resp.status_code}"
    documented = op["responses"]
    assert str(resp.status_code) in documented, f"{where}: status not documented ({sorted(documented)})"
    response = resolve(spec, documented[str(resp.status_code)])
    for name, header in response.get("headers", {}).items():
        header = resolve(spec, header)
        if header.get("required"):
            assert name.lower() in resp.headers, f"{where}: required header {name} missing"
        if name.lower() in resp.headers and header.get("schema", {}).get("type") == "string":
            errors = list(validator(spec, header["schema"]).iter_errors(resp.headers[name.lower()]))
            assert not errors, f"{where}: header {name}: {errors[0].message}"
    if method == "HEAD":
        assert resp.content == b"", where
        return where
    if resp.status_code in (204, 304):
        assert "content" not in response, where
        return where
    media_type = resp.headers.get("content-type", "").split(";")[0].strip()
    content = response.get("content", {})
    assert media_type in content, f"{where}: {media_type!r} not documented ({sorted(content)})"
    schema = content[media_type]["schema"]
    instance = resp.text if schema.get("type") == "string" else resp.json()
    errors = sorted(validator(spec, schema).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{where}: body does not match its schema: {errors[0].message} at {list(errors[0].path)}"
    return where


def run_samples(base_url: str, samples: list[Sample]) -> list[str]:
    with httpx.Client(base_url=base_url, timeout=10.0) as c:
        spec = c.get("/openapi.json").json()
        checked = []
        for sample in samples:
            resp = c.request(sample.method, sample.path, content=sample.body, headers=sample.headers)
            assert resp.status_code == sample.status, \
                f"{sample.method} {sample.path}: got {resp.status_code}, want {sample.status}: {resp.text[:300]}"
            checked.append(check_response(spec, resp))
        return checked


def test_sample_requests_match_the_document(server, client):
    created = client.post("/api/v1/demo/widgets", json=WIDGET)
    assert created.status_code == 201, created.text
    widget_path = created.headers["location"]
    samples = [
        Sample("GET", "/health", 200),
        Sample("GET", "/readiness", 200),
        Sample("GET", "/metrics", 200),
        Sample("GET", "/openapi.json", 200),
        Sample("GET", "/openapi.json", 304, headers={"If-None-Match": client.get("/openapi.json").headers["etag"]}),
        Sample("POST", "/api/v1/demo/widgets", 201, json.dumps(WIDGET).encode(), JSON),
        Sample("POST", "/api/v1/demo/widgets", 422, json.dumps({"name": "", "quantity": 5000, "x": 1}).encode(), JSON),
        Sample("POST", "/api/v1/demo/widgets", 422, b"", JSON),
        Sample("POST", "/api/v1/demo/widgets", 400, b'{"name": ', JSON),
        Sample("POST", "/api/v1/demo/widgets", 415, b"name=x", {"Content-Type": "application/x-www-form-urlencoded"}),
        Sample("POST", "/api/v1/demo/widgets", 406, json.dumps(WIDGET).encode(), {**JSON, "Accept": "text/html"}),
        Sample("GET", widget_path, 200),
        Sample("GET", "/api/v1/demo/widgets/no-such-widget", 404),
        Sample("GET", "/api/v1/demo/pages/42", 200),
        Sample("GET", "/api/v1/demo/pages/forty-two", 422),
        Sample("GET", "/api/v1/demo/slow?ms=1", 200),
        Sample("GET", "/api/v1/demo/slow?ms=-5", 422),
        Sample("GET", "/api/v1/demo/slow?ms=abc", 422),
        Sample("GET", "/api/v1/demo/fail", 500),
    ]
    checked = run_samples(server.base_url, samples)
    assert len(checked) == len(samples)


def test_limits_auth_and_timeouts_match_the_document(make_server):
    srv = make_server({"MAX_BODY_BYTES": "1024", "METRICS_TOKEN": METRICS_TOKEN, "HANDLER_TIMEOUT_MS": "200"})
    big = json.dumps({**WIDGET, "name": "x" * 4096}).encode()
    samples = [
        Sample("POST", "/api/v1/demo/widgets", 413, big, JSON),
        Sample("GET", "/metrics", 401),
        Sample("GET", "/metrics", 401, headers={"Authorization": "Bearer wrong"}),
        Sample("GET", "/metrics", 200, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}),
        Sample("GET", "/api/v1/demo/slow?ms=2000", 503),
        Sample("HEAD", "/health", 200),
        Sample("HEAD", "/api/v1/demo/pages/7", 200),
    ]
    checked = run_samples(srv.base_url, samples)
    assert len(checked) == len(samples)


def test_rate_limited_answer_matches_the_document(make_server):
    # A budget of 2: /openapi.json (fetched first), one page, then 429.
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "2"})
    samples = [Sample("GET", "/api/v1/demo/pages/1", 200), Sample("GET", "/api/v1/demo/pages/2", 429)]
    checked = run_samples(srv.base_url, samples)
    assert checked[-1] == "GET /api/v1/demo/pages/{n} 429"
