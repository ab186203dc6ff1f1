"""The OpenAPI document and the docs pages (SPEC §6, issue 7).

- `keel openapi` prints exactly what /openapi.json serves, and the document's
  operations are exactly the route table's documented routes (`keel openapi --routes`).
- Every operation is complete: summary, unique operationId, described tags,
  a success response with a schema, security stated; every example validates.
- /openapi.json is cacheable (ETag, 304); /docs and /redoc are served offline
  with their own Content-Security-Policy; DOCS_ENABLED=false removes all three.

The helpers at the top (resolve, validator, operation_for) are shared with
test_openapi_conformance.py.
"""

from __future__ import annotations

import json
import re

import httpx
import jsonschema
import pytest

from keel_harness import assert_httpx_problem, run_cli

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --------------------------------------------------------------------------- helpers


def resolve(spec: dict, obj: dict) -> dict:
    """resolve follows a local $ref ("#/components/...") until it reaches the object itself."""
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        assert ref.startswith("#/"), ref
        target = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        obj = target
    return obj


def validator(spec: dict, schema: dict) -> jsonschema.Draft202012Validator:
    """validator checks instances against a schema of the document, resolving its #/components refs."""
    resolver = jsonschema.RefResolver.from_schema(spec)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def operations(spec: dict):
    """operations yields (method, path, operation) for every operation of the document."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def operation_for(spec: dict, method: str, path: str) -> tuple[str, dict]:
    """operation_for finds the operation a concrete request path matches; returns (template, operation)."""
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"no documented operation for {method} {path}")


def keel_env(tmp_path, **overrides) -> dict[str, str]:
    env = {"APP_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/openapi.db", "LOG_LEVEL": "error"}
    env.update(overrides)
    return env


def cli_document(tmp_path, **overrides) -> dict:
    result = run_cli(["openapi"], keel_env(tmp_path, **overrides), cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def cli_routes(tmp_path, **overrides) -> list[tuple[str, str, str, bool]]:
    """cli_routes is the raw route table: (METHOD, template, operation id, documented)."""
    result = run_cli(["openapi", "--routes"], keel_env(tmp_path, **overrides), cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = []
    for line in result.stdout.splitlines():
        parts = line.split()
        assert len(parts) in (3, 4), line
        rows.append((parts[0], parts[1], parts[2], len(parts) == 3))
    return rows


def openapi_path(template: str) -> str:
    """openapi_path drops the router's parameter types: /pages/{n:int} → /pages/{n}."""
    return re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", template)


# --------------------------------------------------------------------------- the document


@pytest.fixture(scope="module")
def spec(client) -> dict:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_cli_prints_what_the_server_serves(spec, tmp_path):
    # The shared server runs APP_ENV=test with default docs/metrics settings, as the CLI does here.
    assert cli_document(tmp_path) == spec


@pytest.mark.parametrize("profile", [{}, {"METRICS_ENABLED": "false"}, {"DOCS_ENABLED": "false"}])
def test_operations_are_exactly_the_documented_routes(tmp_path, profile):
    routes = cli_routes(tmp_path, **profile)
    documented = {(m.lower(), openapi_path(t)) for m, t, _, doc in routes if doc}
    in_spec = {(m, p) for m, p, _ in operations(cli_document(tmp_path, **profile))}
    assert in_spec == documented, {"missing": documented - in_spec, "extra": in_spec - documented}
    hidden = {(m, t) for m, t, _, doc in routes if not doc}
    if profile.get("DOCS_ENABLED") == "false":
        assert hidden == set()
        assert ("get", "/openapi.json") not in in_spec
    else:
        assert hidden == {("GET", "/docs"), ("GET", "/redoc"), ("GET", "/docs/assets/{file}")}
        assert ("get", "/openapi.json") in in_spec


def test_production_document_has_no_demo_routes_and_guards_metrics(tmp_path):
    doc = cli_document(tmp_path, APP_ENV="production", SECRET_KEY="p" * 40, METRICS_TOKEN="m" * 32)
    assert not [p for p in doc["paths"] if p.startswith("/api/v1/demo")]
    metrics = doc["paths"]["/metrics"]["get"]
    assert metrics["security"] == [{"MetricsToken": []}]
    assert "401" in metrics["responses"]
    assert doc["components"]["securitySchemes"]["MetricsToken"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["MetricsToken"]["description"]}


def test_info_servers_and_error_codes(spec, tmp_path):
    assert spec["openapi"] == "3.1.0"
    info = spec["info"]
    assert info["title"] == "Keel API"
    version = run_cli(["version"], keel_env(tmp_path), cwd=str(tmp_path)).stdout
    assert info["version"] in version
    assert info["license"]["identifier"]
    assert spec["servers"] == [{"url": "/", "description": spec["servers"][0]["description"]}]
    # The error table (docs/errors.md mirrors it) is in the description and the ErrorCode schema.
    codes = spec["components"]["schemas"]["ErrorCode"]["enum"]
    rows = spec["components"]["schemas"]["ErrorCode"]["x-keel-errors"]
    assert [r["code"] for r in rows] == codes
    for row in rows:
        assert f"| `{row['code']}` | {row['status']} |" in info["description"], row
        assert row["type"] == f"urn:keel:problem:{row['code']}"
    for needle in ("validation_error", "not_found", "rate_limited", "internal_error", "RFC 9700"):
        assert needle in info["description"], needle


def test_every_operation_is_complete(spec):
    tag_docs = {t["name"]: t.get("description", "") for t in spec["tags"]}
    ids = []
    for method, path, op in operations(spec):
        where = f"{method.upper()} {path}"
        ids.append(op["operationId"])
        assert op.get("summary"), f"{where}: no summary"
        assert op.get("tags"), f"{where}: no tag"
        for tag in op["tags"]:
            assert tag_docs.get(tag), f"{where}: tag {tag!r} has no description"
        assert "security" in op, f"{where}: security not stated"
        responses = op["responses"]
        successes = [s for s in responses if s[0] in "23"]
        assert successes or responses.keys() >= {"500"}, f"{where}: no success response"
        for status in successes:
            response = resolve(spec, responses[status])
            if status in ("204", "304"):
                assert "content" not in response, f"{where} {status}"
                continue
            content = response.get("content")
            assert content, f"{where} {status}: no response model"
            for media, media_obj in content.items():
                assert media_obj.get("schema"), f"{where} {status} {media}: no schema"
        assert "default" in responses and "500" in responses, where
        for status, response in responses.items():
            if status.startswith(("4", "5")) and status != "default":
                assert "application/problem+json" in resolve(spec, response)["content"] or \
                    where == "GET /readiness" and status == "503", f"{where} {status}"
    assert len(ids) == len(set(ids)), "operationIds are not unique"


def test_error_responses_follow_route_facts(spec):
    create = spec["paths"]["/api/v1/demo/widgets"]["post"]["responses"]
    assert {"201", "400", "406", "413", "415", "422", "429", "500", "503"} <= create.keys()
    assert "404" not in create  # no path parameter, nothing to miss
    widget = spec["paths"]["/api/v1/demo/widgets/{id}"]["get"]["responses"]
    assert "404" in widget and "415" not in widget and "413" not in widget
    health = spec["paths"]["/health"]["get"]["responses"]
    assert "429" not in health and "422" not in health  # probes are exempt from rate limits
    v422 = resolve(spec, create["422"])["content"]["application/problem+json"]["schema"]
    assert v422["allOf"][0]["$ref"] == "#/components/schemas/ValidationProblem"
    slow = spec["paths"]["/api/v1/demo/slow"]["get"]
    (ms,) = [p for p in slow["parameters"] if p["name"] == "ms"]
    assert ms["in"] == "query" and ms["schema"]["minimum"] == 0 and ms["schema"]["maximum"] == 30000


def test_request_schema_carries_every_validation_rule(spec):
    body = spec["paths"]["/api/v1/demo/widgets"]["post"]["requestBody"]
    assert body["required"] is True
    schema = resolve(spec, body["content"]["application/json"]["schema"])
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "quantity"]
    assert (props["name"]["minLength"], props["name"]["maxLength"]) == (1, 50)
    assert (props["quantity"]["minimum"], props["quantity"]["maximum"]) == (0, 1000)
    assert props["email"]["format"] == "email"
    assert set(props["color"]["enum"]) == {"red", "green", "blue", None}
    assert props["tags"]["maxItems"] == 5 and props["tags"]["items"]["maxLength"] == 10
    assert props["code"]["pattern"] == "^(?:[A-Z]{3})$"


def test_every_example_validates_against_its_schema(spec):
    checked = 0
    for method, path, op in operations(spec):
        media_objects = []
        if "requestBody" in op:
            media_objects += list(op["requestBody"]["content"].values())
        for response in op["responses"].values():
            media_objects += list(resolve(spec, response).get("content", {}).values())
        for media in media_objects:
            examples = [media["example"]] if "example" in media else []
            examples += [e["value"] for e in media.get("examples", {}).values()]
            for example in examples:
                errors = list(validator(spec, media["schema"]).iter_errors(example))
                assert not errors, f"{method.upper()} {path}: example {example!r} fails: {errors[0].message}"
                checked += 1
    assert checked >= 20, checked


def test_token_form_documents_grant_type_as_optional_like_the_server(spec):
    body = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    schema = body["application/x-www-form-urlencoded"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    # The server takes a form without grant_type as the password grant (FastAPI's form does too).
    assert "grant_type" not in schema.get("required", []), schema
    assert schema["properties"]["grant_type"]["default"] == "password"
    assert schema["properties"]["grant_type"]["enum"] == ["password", "refresh_token"]


def test_security_schemes_offer_the_password_flow_and_api_keys(spec):
    schemes = spec["components"]["securitySchemes"]
    password = schemes["OAuth2PasswordBearer"]["flows"]["password"]
    assert password["tokenUrl"] == "/api/v1/auth/token"
    assert set(password["scopes"]) == {"profile", "items:read", "items:write", "admin"}
    assert schemes["APIKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                      "description": schemes["APIKeyHeader"]["description"]}
    for method, path, op in operations(spec):
        for requirement in op["security"]:
            for name, scopes in requirement.items():
                assert name in schemes, (method, path, name)
                for scope in scopes:
                    assert scope in password["scopes"], (method, path, scope)


# --------------------------------------------------------------------------- serving


def test_openapi_json_is_cacheable(client):
    first = client.get("/openapi.json")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag), etag
    again = client.get("/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/openapi.json", headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.mark.parametrize("page,mount,bundle", [("/docs", "swagger-ui", "swagger-ui-bundle.js"),
                                               ("/redoc", "redoc", "redoc.standalone.js")])
def test_docs_pages_are_served_offline_with_their_own_policy(client, page, mount, bundle):
    resp = client.get(page, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    html = resp.text
    assert f'<div id="{mount}">' in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "<script>" not in html  # no inline script: the CSP can forbid it
    csp = resp.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in csp
    # Every script and stylesheet the page names is served by keel itself, with its type.
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        asset = client.get("/" + src)
        assert asset.status_code == 200, src
        expected = {"js": "text/javascript", "css": "text/css", "png": "image/png"}[src.rsplit(".", 1)[1]]
        assert asset.headers["content-type"].startswith(expected), (src, asset.headers["content-type"])
        assert asset.headers["etag"] and asset.headers["cache-control"] == "no-cache"
    assert len(client.get(f"/docs/assets/{bundle}").content) > 100_000  # the real npm bundle


def test_unknown_docs_asset_is_404(client):
    assert_httpx_problem(client.get("/docs/assets/package.json"), 404, "not_found")
    assert_httpx_problem(client.get("/docs/assets/..%2Fpackage.json"), 404, "not_found")


def test_docs_disabled_removes_every_docs_route(make_server):
    srv = make_server({"DOCS_ENABLED": "false"})
    with httpx.Client(base_url=srv.base_url, timeout=10.0) as c:
        for path in ("/openapi.json", "/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
            assert_httpx_problem(c.get(path), 404, "not_found")
        assert c.get("/health").status_code == 200


def test_missing_assets_answer_503_and_keep_the_document(make_server, tmp_path):
    srv = make_server({"KEEL_DOCS_ASSETS": str(tmp_path / "nowhere")})
    with httpx.Client(base_url=srv.base_url, timeout=10.0) as c:
        problem = assert_httpx_problem(c.get("/docs"), 503, "service_unavailable")
        assert "npm ci" in problem["detail"]
        assert c.get("/openapi.json").status_code == 200
