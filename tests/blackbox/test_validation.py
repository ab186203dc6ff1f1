"""Typed request models on the demo routes (SPEC §4 validation, FastAPI/Pydantic error shape)."""

from __future__ import annotations

import time

import pytest

from keel_harness import assert_httpx_problem, validation_errors

WIDGETS = "/api/v1/demo/widgets"


def by_loc(errors: list[dict]) -> dict[tuple, str]:
    return {tuple(e["loc"]): e["type"] for e in errors}


# --------------------------------------------------------------------------- widgets: success


def test_create_full_widget_and_read_it_back(client):
    body = {"name": "Sprocket", "quantity": 12, "email": "owner@example.com", "color": "green",
            "tags": ["a", "bb"], "code": "ABC"}
    resp = client.post(WIDGETS, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.headers["content-type"].split(";")[0].strip() == "application/json"
    widget = resp.json()
    assert isinstance(widget.get("id"), str) and widget["id"], widget
    for key, value in body.items():
        assert widget[key] == value, (key, widget)
    location = resp.headers.get("location")
    assert location == f"{WIDGETS}/{widget['id']}", location

    got = client.get(location)
    assert got.status_code == 200, got.text
    assert got.json() == widget


def test_create_minimal_widget_defaults(client):
    resp = client.post(WIDGETS, json={"name": "Min", "quantity": 0})
    assert resp.status_code == 201, resp.text
    widget = resp.json()
    assert widget["name"] == "Min" and widget["quantity"] == 0
    assert widget["email"] is None and widget["color"] is None and widget["code"] is None, widget
    assert widget["tags"] == [], widget
    assert set(widget) == {"id", "name", "quantity", "email", "color", "tags", "code"}, widget


def test_widget_ids_are_distinct(client):
    ids = {client.post(WIDGETS, json={"name": f"w{i}", "quantity": i}).json()["id"] for i in range(3)}
    assert len(ids) == 3, ids


def test_unknown_widget_is_404(client):
    resp = client.get(f"{WIDGETS}/unknown")
    assert_httpx_problem(resp, 404, "not_found")


@pytest.mark.parametrize("body", [
    {"name": "x" * 50, "quantity": 1000},
    {"name": "\u00e9" * 50, "quantity": 1},          # 50 code points, 100 bytes
    {"name": "\U0001F600" * 50, "quantity": 1},      # 50 code points, 200 bytes
    {"name": "t", "quantity": 1, "tags": ["1234567890"] * 5},
    {"name": "c", "quantity": 1, "code": "XYZ", "color": "blue"},
    {"name": "n", "quantity": 1, "email": None, "color": None, "code": None},
], ids=["max-ascii", "max-latin1", "max-emoji", "max-tags", "code-color", "explicit-nulls"])
def test_boundary_values_are_accepted(client, body):
    resp = client.post(WIDGETS, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == body["name"]


def test_unicode_name_round_trips(client):
    name = "Gr\u00fc\u00dfe \u4e16\u754c \U0001F600"
    resp = client.post(WIDGETS, json={"name": name, "quantity": 3})
    assert resp.status_code == 201, resp.text
    assert client.get(resp.headers["location"]).json()["name"] == name


# --------------------------------------------------------------------------- widgets: 422


def test_every_failing_field_reported_at_once(client):
    resp = client.post(WIDGETS, json={"name": "", "quantity": 5000, "email": "nope", "color": "pink",
                                      "tags": ["ok", "x" * 11], "code": "ab", "admin": True})
    errors = validation_errors(resp)
    assert by_loc(errors) == {
        ("body", "name"): "string_too_short",
        ("body", "quantity"): "less_than_equal",
        ("body", "email"): "value_error",
        ("body", "color"): "enum",
        ("body", "tags", 1): "string_too_long",
        ("body", "code"): "string_pattern_mismatch",
        ("body", "admin"): "extra_forbidden",
    }, errors
    assert len(errors) == 7, errors


def test_missing_required_fields(client):
    errors = validation_errors(client.post(WIDGETS, json={}))
    locs = by_loc(errors)
    assert locs.get(("body", "name")) == "missing", errors
    assert locs.get(("body", "quantity")) == "missing", errors


def test_missing_name_only(client):
    errors = validation_errors(client.post(WIDGETS, json={"quantity": 1}))
    assert by_loc(errors) == {("body", "name"): "missing"}, errors


def test_string_quantity_is_int_type(client):
    errors = validation_errors(client.post(WIDGETS, json={"name": "a", "quantity": "5"}))
    assert by_loc(errors) == {("body", "quantity"): "int_type"}, errors


@pytest.mark.parametrize("field,value", [
    ("name", "x" * 51), ("name", "\u00e9" * 51), ("quantity", -1), ("quantity", 1001),
    ("tags", ["a"] * 6), ("code", "ABCD"), ("code", "AB1"), ("email", "a@"), ("color", "RED"),
], ids=["name-51", "name-51-cp", "qty-neg", "qty-1001", "tags-6", "code-4", "code-digit",
        "email-bad", "color-case"])
def test_single_invalid_field(client, field, value):
    body = {"name": "ok", "quantity": 1, field: value}
    errors = validation_errors(client.post(WIDGETS, json=body))
    assert [tuple(e["loc"][:2]) for e in errors] == [("body", field)], errors


@pytest.mark.parametrize("field,value", [("name", 5), ("quantity", 1.5), ("tags", "a"),
                                         ("tags", [1]), ("quantity", None)],
                         ids=["name-int", "qty-float", "tags-str", "tags-int-item", "qty-null"])
def test_wrong_json_types_are_422(client, field, value):
    body = {"name": "ok", "quantity": 1, field: value}
    errors = validation_errors(client.post(WIDGETS, json=body))
    assert all(tuple(e["loc"][:2]) == ("body", field) for e in errors), errors


def test_json_array_body_is_422(client):
    validation_errors(client.post(WIDGETS, json=[{"name": "a", "quantity": 1}]))


@pytest.mark.parametrize("raw", [b"42", b'"text"', b"null"])
def test_json_scalar_body_is_422(client, raw):
    validation_errors(client.post(WIDGETS, content=raw, headers={"Content-Type": "application/json"}))


def test_empty_json_body_is_422_body_missing(client):
    resp = client.post(WIDGETS, content=b"", headers={"Content-Type": "application/json"})
    errors = validation_errors(resp)
    assert by_loc(errors) == {("body",): "missing"}, errors


def test_content_type_with_charset_is_accepted(client):
    resp = client.post(WIDGETS, content=b'{"name":"cs","quantity":2}',
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 201, resp.text


def test_rejected_widget_is_not_stored(client):
    resp = client.post(WIDGETS, json={"name": "ghost", "quantity": 1, "admin": True})
    assert resp.status_code == 422
    assert "location" not in resp.headers


# --------------------------------------------------------------------------- path and query


def test_int_path_parameter(client):
    resp = client.get("/api/v1/demo/pages/7")
    assert resp.status_code == 200
    assert resp.json() == {"n": 7}


def test_non_int_path_parameter_is_422(client):
    errors = validation_errors(client.get("/api/v1/demo/pages/abc"))
    assert by_loc(errors) == {("path", "n"): "int_parsing"}, errors


@pytest.mark.parametrize("value", ["1.5", "7abc", "99999999999999999999999"])
def test_bad_int_path_values_are_422(client, value):
    errors = validation_errors(client.get(f"/api/v1/demo/pages/{value}"))
    assert [tuple(e["loc"]) for e in errors] == [("path", "n")], errors


def test_slow_zero(client):
    resp = client.get("/api/v1/demo/slow", params={"ms": 0})
    assert resp.status_code == 200
    assert resp.json() == {"slept_ms": 0}


def test_slow_sleeps(client):
    start = time.monotonic()
    resp = client.get("/api/v1/demo/slow", params={"ms": 200})
    elapsed = time.monotonic() - start
    assert resp.status_code == 200
    assert resp.json() == {"slept_ms": 200}
    assert 0.19 <= elapsed < 2.0, elapsed


@pytest.mark.parametrize("value", ["-1", "30001", "abc", ""])
def test_slow_out_of_range_is_422(client, value):
    start = time.monotonic()
    errors = validation_errors(client.get(f"/api/v1/demo/slow?ms={value}"))
    assert time.monotonic() - start < 1.0, "validation should fail before sleeping"
    assert [tuple(e["loc"]) for e in errors] == [("query", "ms")], errors
