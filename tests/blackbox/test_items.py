"""Items, the example resource (SPEC §5 Items, §4 conditional requests and errors).

Callers are real users, registered through /api/v1/auth/register and signed in
through the OAuth2 password grant at /api/v1/auth/token. Tests that share a
user keep to their own items by tagging them with a fresh marker tag and
listing with `tag=<marker>`; the pagination test has a user of its own, so it
can check the whole unfiltered list.
"""

from __future__ import annotations

import re
import string
import uuid

import httpx
import pytest

from keel_harness import Caller, assert_httpx_problem, new_caller, run_cli, sign_in, validation_errors

ITEMS = "/api/v1/items"


@pytest.fixture(scope="module")
def alice(client) -> Caller:
    return new_caller(client, prefix="items")


@pytest.fixture(scope="module")
def bob(client) -> Caller:
    return new_caller(client, prefix="items")


def marker() -> str:
    """marker is a fresh tag (≤ 32 characters) that keeps one test's items apart."""
    return "t-" + uuid.uuid4().hex[:24]


def create(client: httpx.Client, caller: Caller, **body) -> dict:
    resp = client.post(ITEMS, json=body, headers=caller.auth)
    assert resp.status_code == 201, resp.text
    return resp.json()


def list_all(client: httpx.Client, caller: Caller, **params) -> list[dict]:
    """list_all follows next_cursor to the end and returns every item, in order."""
    items, cursor = [], None
    for _ in range(200):
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        resp = client.get(ITEMS, params=query, headers=caller.auth)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert set(page) == {"items", "next_cursor"}, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    pytest.fail("next_cursor never became null")


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def by_creation(items: list[dict]) -> list[str]:
    """by_creation is the oldest-first order: created_at (millisecond ISO text), then id for ties."""
    return ids(sorted(items, key=lambda item: (item["created_at"], item["id"])))


# --------------------------------------------------------------------------- create and read


def test_create_answers_201_with_location_etag_and_the_item(client, alice):
    tag = marker()
    resp = client.post(ITEMS, json={"title": "Buy milk", "description": "Two litres", "tags": [tag, "x", tag]},
                       headers=alice.auth)
    assert resp.status_code == 201, resp.text
    item = resp.json()
    assert set(item) == {"id", "title", "description", "tags", "owner_id", "created_at", "updated_at"}, item
    assert item["title"] == "Buy milk" and item["description"] == "Two litres"
    assert item["tags"] == [tag, "x"], "a repeated tag is kept once, in first-seen order"
    assert item["created_at"] == item["updated_at"], item
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["created_at"]), item
    assert len(item["id"]) == 36 and item["id"][14] == "7", "ids are UUIDv7, not serials"
    assert resp.headers["location"] == f"{ITEMS}/{item['id']}"
    etag = resp.headers.get("etag")
    assert etag and etag.startswith('"') and etag.endswith('"'), etag

    got = client.get(resp.headers["location"], headers=alice.auth)
    assert got.status_code == 200, got.text
    assert got.json() == item
    assert got.headers["etag"] == etag
    assert "no-store" in got.headers.get("cache-control", "")


def test_create_minimal_item_has_null_description_and_no_tags(client, alice):
    item = create(client, alice, title="x")
    assert item["description"] is None and item["tags"] == [], item


def test_owner_id_is_the_caller_and_ids_are_distinct(client, alice, bob):
    a1, a2 = create(client, alice, title="one"), create(client, alice, title="two")
    b1 = create(client, bob, title="three")
    assert a1["owner_id"] == a2["owner_id"] != b1["owner_id"]
    assert len({a1["id"], a2["id"], b1["id"]}) == 3


def test_validation_reports_every_failing_field_at_once(client, alice):
    body = {"title": "", "description": "d" * 10001, "tags": ["ok", "", "t" * 33], "owner_id": "someone",
            "id": "mine", "colour": "red"}
    resp = client.post(ITEMS, json=body, headers=alice.auth)
    errors = {tuple(e["loc"]): e["type"] for e in validation_errors(resp)}
    assert errors == {
        ("body", "title"): "string_too_short",
        ("body", "description"): "string_too_long",
        ("body", "tags", 1): "string_too_short",
        ("body", "tags", 2): "string_too_long",
        ("body", "owner_id"): "extra_forbidden",
        ("body", "id"): "extra_forbidden",
        ("body", "colour"): "extra_forbidden",
    }, errors


def test_validation_limits_are_inclusive_and_counted_in_characters(client, alice):
    item = create(client, alice, title="é" * 200, description="d" * 10000, tags=[f"{i:02d}" + "x" * 30 for i in range(20)])
    assert len(item["title"]) == 200 and len(item["tags"]) == 20
    resp = client.post(ITEMS, json={"title": "t" * 201, "tags": [str(i) for i in range(21)]}, headers=alice.auth)
    errors = {tuple(e["loc"]): e["type"] for e in validation_errors(resp)}
    assert errors == {("body", "title"): "string_too_long", ("body", "tags"): "too_long"}, errors


def test_missing_title_and_wrong_types_are_422(client, alice):
    resp = client.post(ITEMS, json={"description": 5, "tags": "a"}, headers=alice.auth)
    errors = {tuple(e["loc"]): e["type"] for e in validation_errors(resp)}
    assert errors == {("body", "title"): "missing", ("body", "description"): "string_type",
                      ("body", "tags"): "list_type"}, errors


def test_unparseable_json_is_400(client, alice):
    resp = client.post(ITEMS, content=b'{"title": ', headers={**alice.auth, "Content-Type": "application/json"})
    assert_httpx_problem(resp, 400, "invalid_json")


def test_unknown_item_is_404(client, alice):
    resp = client.get(f"{ITEMS}/{uuid.uuid4()}", headers=alice.auth)
    assert_httpx_problem(resp, 404, "not_found")


# --------------------------------------------------------------------------- authentication and scopes


ROUTES = [("GET", ITEMS), ("POST", ITEMS), ("GET", f"{ITEMS}/x"), ("PUT", f"{ITEMS}/x"),
          ("PATCH", f"{ITEMS}/x"), ("DELETE", f"{ITEMS}/x")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_route_needs_a_credential(client, method, path):
    resp = client.request(method, path, json={"title": "t"} if method in ("POST", "PUT", "PATCH") else None)
    assert_httpx_problem(resp, 401, "unauthorized")
    assert resp.headers.get("www-authenticate", "").startswith("Bearer"), resp.headers


@pytest.mark.parametrize("method,path", ROUTES)
def test_a_forged_token_is_401_invalid_token(client, method, path):
    resp = client.request(method, path, headers={"Authorization": "Bearer not.a.token"},
                          json={"title": "t"} if method in ("POST", "PUT", "PATCH") else None)
    assert resp.status_code == 401, resp.text
    assert 'error="invalid_token"' in resp.headers.get("www-authenticate", "")


def test_a_read_only_token_reads_but_cannot_write(client, alice):
    item = create(client, alice, title="guarded")
    reader = Caller(alice.email, alice.password, sign_in(client, alice.email, alice.password, "items:read"))
    assert client.get(ITEMS, headers=reader.auth).status_code == 200
    assert client.get(f"{ITEMS}/{item['id']}", headers=reader.auth).status_code == 200
    url = f"{ITEMS}/{item['id']}"
    for method, path in [("POST", ITEMS), ("PUT", url), ("PATCH", url), ("DELETE", url)]:
        resp = client.request(method, path, headers=reader.auth,
                              json={"title": "hijacked"} if method != "DELETE" else None)
        assert_httpx_problem(resp, 403, "insufficient_scope")
        assert 'scope="items:write"' in resp.headers.get("www-authenticate", ""), resp.headers
    assert client.get(url, headers=alice.auth).json() == item


# --------------------------------------------------------------------------- ownership (IDOR)


def test_another_users_item_is_404_for_every_method_and_never_listed(client, alice, bob):
    tag = marker()
    item = create(client, alice, title="alice's", description="private", tags=[tag])
    url = f"{ITEMS}/{item['id']}"
    etag = client.get(url, headers=alice.auth).headers["etag"]

    assert_httpx_problem(client.get(url, headers=bob.auth), 404, "not_found")
    assert_httpx_problem(client.put(url, json={"title": "bob's now"}, headers=bob.auth), 404, "not_found")
    assert_httpx_problem(client.patch(url, json={"description": None}, headers=bob.auth), 404, "not_found")
    assert_httpx_problem(client.put(url, json={"title": "bob's now"}, headers={**bob.auth, "If-Match": etag}),
                         404, "not_found")
    assert_httpx_problem(client.delete(url, headers=bob.auth), 404, "not_found")
    assert_httpx_problem(client.delete(url, headers={**bob.auth, "If-Match": "*"}), 404, "not_found")

    assert item["id"] not in ids(list_all(client, bob))
    assert list_all(client, bob, tag=tag) == []
    for sort in ("created_at", "-created_at", "title"):
        assert item["id"] not in ids(list_all(client, bob, sort=sort, q="alice"))
    # Untouched: same body, same version.
    after = client.get(url, headers=alice.auth)
    assert after.json() == item and after.headers["etag"] == etag


def test_admins_read_and_change_any_item_but_list_their_own(client, server, alice):
    item = create(client, alice, title="seen by the admin", description="d")
    admin = new_caller(client)
    promoted = run_cli(["create-admin", "--email", admin.email],
                       {**server.env, "KEEL_ADMIN_PASSWORD": admin.password}, cwd=server.tmp)
    assert promoted.returncode == 0, promoted.stderr
    admin.token = sign_in(client, admin.email, admin.password, "items:read items:write admin")
    url = f"{ITEMS}/{item['id']}"
    assert client.get(url, headers=admin.auth).json() == item
    changed = client.patch(url, json={"description": None}, headers=admin.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] is None and changed.json()["owner_id"] == item["owner_id"]
    assert item["id"] not in ids(list_all(client, admin))


# --------------------------------------------------------------------------- replace, patch, delete


def test_put_replaces_every_field(client, alice):
    item = create(client, alice, title="before", description="old", tags=["a", "b"])
    url = f"{ITEMS}/{item['id']}"
    resp = client.put(url, json={"title": "after"}, headers=alice.auth)
    assert resp.status_code == 200, resp.text
    replaced = resp.json()
    assert replaced["title"] == "after" and replaced["description"] is None and replaced["tags"] == []
    assert replaced["id"] == item["id"] and replaced["created_at"] == item["created_at"]
    assert replaced["updated_at"] >= item["updated_at"]
    assert client.get(url, headers=alice.auth).json() == replaced
    bad = client.put(url, json={"description": "no title", "id": "x"}, headers=alice.auth)
    assert {tuple(e["loc"]) for e in validation_errors(bad)} == {("body", "title"), ("body", "id")}


def test_patch_changes_only_what_it_names_and_null_clears_the_description(client, alice):
    tag = marker()
    item = create(client, alice, title="title", description="keep me", tags=[tag])
    url = f"{ITEMS}/{item['id']}"

    resp = client.patch(url, json={"title": "renamed"}, headers=alice.auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["title"] == "renamed" and resp.json()["description"] == "keep me"
    assert resp.json()["tags"] == [tag]

    resp = client.patch(url, content=b'{"description": null}',
                        headers={**alice.auth, "Content-Type": "application/merge-patch+json"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["description"] is None and resp.json()["title"] == "renamed"

    resp = client.patch(url, json={"tags": []}, headers=alice.auth)
    assert resp.json()["tags"] == [] and list_all(client, alice, tag=tag) == []

    resp = client.patch(url, json={"title": None, "tags": None, "description": "x" * 10001}, headers=alice.auth)
    errors = {tuple(e["loc"]) for e in validation_errors(resp)}
    assert errors == {("body", "title"), ("body", "tags"), ("body", "description")}, errors

    resp = client.patch(url, content=b"title=x", headers={**alice.auth, "Content-Type": "text/plain"})
    assert_httpx_problem(resp, 415, "unsupported_media_type")
    assert client.get(url, headers=alice.auth).json()["title"] == "renamed"


def test_delete_answers_204_then_the_item_is_gone(client, alice):
    tag = marker()
    item = create(client, alice, title="doomed", tags=[tag])
    url = f"{ITEMS}/{item['id']}"
    resp = client.delete(url, headers=alice.auth)
    assert resp.status_code == 204 and resp.content == b""
    assert_httpx_problem(client.get(url, headers=alice.auth), 404, "not_found")
    assert_httpx_problem(client.delete(url, headers=alice.auth), 404, "not_found")
    assert list_all(client, alice, tag=tag) == []


# --------------------------------------------------------------------------- ETags and preconditions


def test_if_none_match_answers_304_without_a_body(client, alice):
    item = create(client, alice, title="cached")
    url = f"{ITEMS}/{item['id']}"
    etag = client.get(url, headers=alice.auth).headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        resp = client.get(url, headers={**alice.auth, "If-None-Match": value})
        assert resp.status_code == 304, (value, resp.text)
        assert resp.content == b"" and resp.headers["etag"] == etag
    stale = client.get(url, headers={**alice.auth, "If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json() == item


def test_etag_changes_with_every_write(client, alice):
    item = create(client, alice, title="v1")
    url = f"{ITEMS}/{item['id']}"
    seen = {client.get(url, headers=alice.auth).headers["etag"]}
    for body in ({"title": "v2"}, {"description": "v3"}):
        resp = client.patch(url, json=body, headers=alice.auth)
        assert resp.headers["etag"] not in seen
        assert client.get(url, headers=alice.auth).headers["etag"] == resp.headers["etag"]
        seen.add(resp.headers["etag"])
    resp = client.put(url, json={"title": "v4"}, headers=alice.auth)
    assert resp.headers["etag"] not in seen


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_stale_if_match_is_412_and_changes_nothing(client, alice, method):
    item = create(client, alice, title="original")
    url = f"{ITEMS}/{item['id']}"
    old = client.get(url, headers=alice.auth).headers["etag"]
    current = client.patch(url, json={"description": "moved on"}, headers=alice.auth).headers["etag"]
    body = None if method == "DELETE" else {"title": "lost update"}
    for stale in (old, f"W/{current}", '"nonsense"'):
        resp = client.request(method, url, json=body, headers={**alice.auth, "If-Match": stale})
        assert_httpx_problem(resp, 412, "precondition_failed")
    # The precondition is checked before the body: a bad body with a stale ETag is still 412.
    if method != "DELETE":
        resp = client.request(method, url, json={"title": ""}, headers={**alice.auth, "If-Match": old})
        assert_httpx_problem(resp, 412, "precondition_failed")
    got = client.get(url, headers=alice.auth)
    assert got.json()["title"] == "original" and got.headers["etag"] == current


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("if_match", ["current", "*", "list"])
def test_a_current_if_match_lets_the_write_through(client, alice, method, if_match):
    item = create(client, alice, title="original")
    url = f"{ITEMS}/{item['id']}"
    etag = client.get(url, headers=alice.auth).headers["etag"]
    value = {"current": etag, "*": "*", "list": f'"old", {etag}'}[if_match]
    body = None if method == "DELETE" else {"title": "updated"}
    resp = client.request(method, url, json=body, headers={**alice.auth, "If-Match": value})
    assert resp.status_code == (204 if method == "DELETE" else 200), resp.text


# --------------------------------------------------------------------------- listing


def test_pagination_is_stable_under_inserts_and_deletes(client):
    carol = new_caller(client)
    made = [create(client, carol, title=f"item {i:02d}") for i in range(45)]
    originals = ids(made)
    seen: list[str] = []
    inserted: list[str] = []
    deleted_unseen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10} if cursor is None else {"limit": 10, "cursor": cursor}
        resp = client.get(ITEMS, params=params, headers=carol.auth)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page["items"]) <= 10
        seen += ids(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Between pages: two new items, one seen item deleted, one unseen item deleted.
        late = [create(client, carol, title=f"late {pages}.{k}") for k in range(2)]
        made += late
        inserted += ids(late)
        assert client.delete(f"{ITEMS}/{seen[-1]}", headers=carol.auth).status_code == 204
        unseen = [i for i in originals if i not in seen and i not in deleted_unseen]
        victim = unseen[len(unseen) // 2]
        assert client.delete(f"{ITEMS}/{victim}", headers=carol.auth).status_code == 204
        deleted_unseen.append(victim)
    assert len(seen) == len(set(seen)), "an item was listed twice"
    assert set(originals) - set(deleted_unseen) <= set(seen), "an existing item was skipped"
    assert not set(deleted_unseen) & set(seen), "a deleted item was listed"
    assert not set(inserted) & set(seen), "newest-first pages only move backwards in time"
    assert pages == 5, pages  # 45 originals, 4 of them deleted before being reached: 41 rows, 10 a page

    # Oldest first: items created meanwhile are newer than every cursor, so they show up at the end.
    everything = list_all(client, carol, sort="created_at", limit=7)
    assert ids(everything) == [i for i in by_creation(made) if i in set(ids(everything))]
    assert set(ids(everything)) == (set(originals) | set(inserted)) - set(deleted_unseen) - set(seen[9::10])


def test_each_sort_orders_the_whole_list(client, alice):
    tag = marker()
    titles = ["delta", "alpha", "charlie", "alpha", "bravo", "echo", "bravo"]
    made = [create(client, alice, title=t, tags=[tag]) for t in titles]
    newest = list_all(client, alice, tag=tag, limit=2)
    assert ids(newest) == by_creation(made)[::-1], "the default order is newest first"
    assert ids(list_all(client, alice, tag=tag, sort="-created_at", limit=3)) == by_creation(made)[::-1]
    assert ids(list_all(client, alice, tag=tag, sort="created_at", limit=3)) == by_creation(made)
    by_title = list_all(client, alice, tag=tag, sort="title", limit=2)
    assert [i["title"] for i in by_title] == sorted(titles)
    expected = sorted(made, key=lambda i: (i["title"], i["id"]))
    assert ids(by_title) == ids(expected), "equal titles are ordered by id"


def test_a_page_has_limit_items_and_limit_is_bounded(client, alice):
    tag = marker()
    for i in range(3):
        create(client, alice, title=f"p{i}", tags=[tag])
    resp = client.get(ITEMS, params={"tag": tag, "limit": 2}, headers=alice.auth)
    page = resp.json()
    assert len(page["items"]) == 2 and isinstance(page["next_cursor"], str)
    last = client.get(ITEMS, params={"tag": tag, "limit": 2, "cursor": page["next_cursor"]}, headers=alice.auth)
    assert len(last.json()["items"]) == 1 and last.json()["next_cursor"] is None
    exact = client.get(ITEMS, params={"tag": tag, "limit": 3}, headers=alice.auth).json()
    assert len(exact["items"]) == 3 and exact["next_cursor"] is None, "no empty trailing page"
    assert client.get(ITEMS, params={"limit": 100}, headers=alice.auth).status_code == 200
    assert client.get(ITEMS, params={"limit": 1}, headers=alice.auth).status_code == 200
    for bad in ("0", "101", "-1", "ten", ""):
        resp = client.get(ITEMS, params={"limit": bad}, headers=alice.auth)
        assert [tuple(e["loc"]) for e in validation_errors(resp)] == [("query", "limit")], bad


@pytest.mark.parametrize("name,value,error", [
    ("tag", "", "string_too_short"), ("tag", "t" * 33, "string_too_long"), ("q", "q" * 201, "string_too_long"),
])
def test_filters_longer_than_any_title_or_tag_are_422(client, alice, name, value, error):
    resp = client.get(ITEMS, params={name: value}, headers=alice.auth)
    assert [(tuple(e["loc"]), e["type"]) for e in validation_errors(resp)] == [(("query", name), error)]
    longest = client.get(ITEMS, params={"tag": "t" * 32, "q": "é" * 200}, headers=alice.auth)
    assert longest.status_code == 200 and longest.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("sort", ["newest", "title desc", "-title", "CREATED_AT", ""])
def test_an_unknown_sort_is_422(client, alice, sort):
    resp = client.get(ITEMS, params={"sort": sort}, headers=alice.auth)
    errors = validation_errors(resp)
    assert [(tuple(e["loc"]), e["type"]) for e in errors] == [(("query", "sort"), "enum")]


def test_q_searches_titles_for_the_literal_text_ignoring_case(client, alice):
    tag = marker()
    made = {t: create(client, alice, title=t, tags=[tag])["id"]
            for t in ("Buy Milk", "milkshake", "100% juice", "snake_case", "plain", "50%_off")}
    def search(q):
        return {i["title"] for i in list_all(client, alice, tag=tag, q=q)}
    assert search("milk") == {"Buy Milk", "milkshake"}
    assert search("MILK") == {"Buy Milk", "milkshake"}
    assert search("%") == {"100% juice", "50%_off"}
    assert search("_") == {"snake_case", "50%_off"}
    assert search("%_") == {"50%_off"}
    assert search("m%k") == set()
    assert search("nothing like it") == set()
    assert len(made) == 6


def test_sql_injection_strings_are_stored_and_searched_literally(client, alice):
    tag = marker()
    evil = ["'; DROP TABLE items; --", "\" OR 1=1 --", "' OR '1'='1", "%", "_", "\\", "$1", "?1"]
    made = []
    for i, text in enumerate(evil):
        item = create(client, alice, title=f"{text} #{i}", description=text, tags=[tag, text])
        got = client.get(f"{ITEMS}/{item['id']}", headers=alice.auth).json()
        assert got["title"] == f"{text} #{i}" and got["description"] == text and got["tags"] == [tag, text]
        made.append(item)
    for i, text in enumerate(evil):
        by_tag = list_all(client, alice, tag=text)
        assert ids(by_tag) == [made[i]["id"]], (text, by_tag)
        assert made[i]["id"] in ids(list_all(client, alice, tag=tag, q=text))
    assert {i["id"] for i in list_all(client, alice, tag=tag, q="' OR '1'='1")} == {made[2]["id"]}
    # The tables are all still there.
    assert len(list_all(client, alice, tag=tag, limit=100)) == len(evil)
    assert create(client, alice, title="after the attack", tags=[tag])


# --------------------------------------------------------------------------- cursors


def first_cursor(client, caller, **params) -> str:
    resp = client.get(ITEMS, params={"limit": 1, **params}, headers=caller.auth)
    cursor = resp.json()["next_cursor"]
    assert isinstance(cursor, str) and cursor
    return cursor


B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def flip(c: str) -> str:
    """flip changes a base64url character's top bit, so the decoded bytes really differ."""
    return B64URL[(B64URL.index(c) + 32) % 64] if c in B64URL else "A"


def test_altered_or_made_up_cursors_are_400_invalid_cursor(client, alice):
    tag = marker()
    for i in range(3):
        create(client, alice, title=f"c{i}", tags=[tag])
    cursor = first_cursor(client, alice, tag=tag)
    flipped = [cursor[:k] + flip(cursor[k]) + cursor[k + 1:] for k in (0, len(cursor) // 2, len(cursor) - 1)]
    garbage = ["garbage", "", ".", "..", "a.b", "%%%", "A" * 3000, cursor + "x", cursor.split(".")[0],
               "eyJrZXkiOiIifQ.AAAA", "\u00e9t\u00e9", cursor.replace(".", "")]
    for bad in flipped + garbage:
        resp = client.get(ITEMS, params={"tag": tag, "limit": 1, "cursor": bad}, headers=alice.auth)
        assert resp.status_code != 500, bad
        assert_httpx_problem(resp, 400, "invalid_cursor")
    assert client.get(ITEMS, params={"tag": tag, "limit": 1, "cursor": cursor}, headers=alice.auth).status_code == 200


def test_a_cursor_only_opens_for_its_user_sort_and_filters(client, alice, bob):
    tag = marker()
    for i in range(3):
        create(client, alice, title=f"bound {i}", tags=[tag])
    cursor = first_cursor(client, alice, tag=tag, q="bound", sort="title")
    ok = client.get(ITEMS, params={"tag": tag, "q": "bound", "sort": "title", "cursor": cursor}, headers=alice.auth)
    assert ok.status_code == 200 and len(ok.json()["items"]) == 2
    for params, caller in [
        ({"tag": tag, "q": "bound", "sort": "title"}, bob),           # another user
        ({"tag": tag, "q": "bound", "sort": "created_at"}, alice),    # another order
        ({"tag": tag, "q": "bound"}, alice),                          # the default order
        ({"tag": tag, "q": "boun", "sort": "title"}, alice),          # another search
        ({"tag": tag, "sort": "title"}, alice),                       # no search
        ({"tag": marker(), "q": "bound", "sort": "title"}, alice),    # another tag
        ({"q": "bound", "sort": "title"}, alice),                     # no tag
    ]:
        resp = client.get(ITEMS, params={**params, "cursor": cursor}, headers=caller.auth)
        assert_httpx_problem(resp, 400, "invalid_cursor")


# --------------------------------------------------------------------------- statements per request (N+1)


def statement_counts(client: httpx.Client) -> dict[str, float]:
    """statement_counts reads db_query_duration_seconds_count per statement from /metrics,
    leaving out the job runner's own polling (jobs.*), which runs on its own schedule."""
    counts = {}
    for line in client.get("/metrics").text.splitlines():
        match = re.fullmatch(r'db_query_duration_seconds_count\{statement="([^"]+)"\} (\S+)', line)
        if match and not match.group(1).startswith("jobs."):
            counts[match.group(1)] = float(match.group(2))
    return counts


def statements_run_by(client: httpx.Client, request) -> dict[str, float]:
    before = statement_counts(client)
    request()
    after = statement_counts(client)
    return {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}


def test_a_list_page_runs_the_same_statements_whatever_its_size(client):
    caller = new_caller(client)
    tag = marker()
    for i in range(30):
        create(client, caller, title=f"n+1 probe {i}", tags=[tag, f"extra-{i}"])

    def page(limit: int):
        def run():
            resp = client.get(ITEMS, params={"limit": limit, "tag": tag}, headers=caller.auth)
            assert resp.status_code == 200 and len(resp.json()["items"]) == limit, resp.text
        return run

    small = statements_run_by(client, page(2))
    large = statements_run_by(client, page(30))
    # One session check and one list query, whether the page holds 2 items or 30 (tags included).
    assert small == large, (small, large)
    assert sum(small.values()) == 2, small
