"""API conventions, checked on the live OpenAPI document (checklist: API versioning,
consistent endpoint naming): every API route is under /api/v1 (besides the
operations endpoints and the deprecated FastAPI-compatible alias), path
segments are lower-case kebab-case, and every JSON property is snake_case."""

from __future__ import annotations

import re

OPERATIONS = {"/health", "/readiness", "/metrics", "/openapi.json"}
DEPRECATED_ALIASES = {"/login/access-token"}
SEGMENT = re.compile(r"^([a-z][a-z0-9]*(-[a-z0-9]+)*|\{[a-z][a-z0-9_]*(:int)?\})$")
PROPERTY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def document(client) -> dict:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def test_every_api_route_is_versioned_under_api_v1(client):
    spec = document(client)
    for path, operations in spec["paths"].items():
        if path in OPERATIONS:
            continue
        if path in DEPRECATED_ALIASES:
            assert all(op.get("deprecated") for op in operations.values()), path
            continue
        assert path.startswith("/api/v1/"), f"{path} is outside /api/v1"


def test_paths_are_kebab_case_and_json_fields_snake_case(client):
    spec = document(client)
    for path in spec["paths"]:
        for segment in path.strip("/").split("/"):
            if segment == "openapi.json":
                continue
            assert SEGMENT.match(segment), f"{path}: segment {segment!r}"

    def walk(schema: dict, where: str) -> None:
        for name, sub in (schema.get("properties") or {}).items():
            assert PROPERTY.match(name), f"{where}.{name} is not snake_case"
            walk(sub, f"{where}.{name}")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], where + "[]")

    for name, schema in spec["components"]["schemas"].items():
        walk(schema, name)
