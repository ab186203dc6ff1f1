"""Item attachments (SPEC §5 Items: POST/GET /items/{id}/attachments, /attachments/{id}[/content]).

Everything goes through the real server over real sockets. The module's server
keeps its UPLOAD_DIR inside its temp dir, so the tests can look at what is on
disk: stored files have generated 32-hex names, temporaries start with a dot,
and a rejected, oversized or aborted upload must leave nothing behind. Uploads
are built by hand (multipart bytes) so that file names, part types and
boundaries are exactly what each test means to send.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import urllib.parse
import uuid
import zlib

import httpx
import pytest

from keel_harness import Caller, sign_in
from keel_harness import new_caller as harness_new_caller
from keel_harness import (KeelServer, RawConnection, assert_httpx_problem, assert_raw_problem,
                          run_cli, validation_errors, wait_for)

ITEMS = "/api/v1/items"
ATTACHMENTS = "/api/v1/attachments"
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
ALLOWED = "image/png,image/jpeg,application/pdf,text/plain"  # no GIF: it tests the allow-list


# --------------------------------------------------------------------------- files


def png_bytes(width: int = 2, height: int = 2, noisy: bool = False) -> bytes:
    """png_bytes is a valid RGB PNG (noisy: random pixels, so it does not compress)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + (os.urandom(width * 3) if noisy else bytes([200, 30, 30]) * width)
                    for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    """pdf_bytes is a minimal one-page PDF 1.4 with a correct xref table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def jpeg_bytes() -> bytes:
    """jpeg_bytes is a JFIF header, a quantisation table and an end marker: enough for libmagic."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(1, 65))
    return b"\xff\xd8" + app0 + dqt + b"\xff\xd9"


def gif_bytes() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00" \
           b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


TEXT = "Shopping list\n- oat milk\n- bread\n".encode()
HTML = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n"


# --------------------------------------------------------------------------- multipart


def multipart(data: bytes, filename: str | None = "file.bin", content_type: str | None = "application/octet-stream",
              field: str = "file", filename_star: str | None = None, extra_fields: dict[str, str] | None = None,
              boundary: str | None = None) -> tuple[bytes, str]:
    """multipart returns (body, Content-Type) of a multipart/form-data upload of one file part."""
    boundary = boundary or "keelbb" + uuid.uuid4().hex
    out = b""
    for name, value in (extra_fields or {}).items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    disposition = f'form-data; name="{field}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    if filename_star is not None:
        disposition += f"; filename*=UTF-8''{urllib.parse.quote(filename_star, safe='')}"
    out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
    if content_type is not None:
        out += f"Content-Type: {content_type}\r\n".encode()
    out += b"\r\n" + data + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------- callers


def new_caller(client: httpx.Client, scope: str | None = None) -> Caller:
    return harness_new_caller(client, scope, prefix="files", full_name="F U")


def start_server(overrides: dict[str, str] | None = None) -> KeelServer:
    """start_server starts keel with UPLOAD_DIR inside its temp dir (server.upload_dir)."""
    srv = KeelServer({"UPLOAD_ALLOWED_TYPES": ALLOWED, **(overrides or {})})
    srv.upload_dir = os.path.join(srv.tmp, "uploads")
    srv.env["UPLOAD_DIR"] = srv.upload_dir
    return srv.start()


@pytest.fixture(scope="module")
def files_server():
    srv = start_server()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def http(files_server):
    with httpx.Client(base_url=files_server.base_url, timeout=10.0) as c:
        yield c


@pytest.fixture(scope="module")
def alice(http) -> Caller:
    return new_caller(http)


@pytest.fixture(scope="module")
def bob(http) -> Caller:
    return new_caller(http)


def new_item(http: httpx.Client, caller: Caller, title: str = "with files") -> dict:
    resp = http.post(ITEMS, json={"title": title}, headers=caller.auth)
    assert resp.status_code == 201, resp.text
    return resp.json()


def upload(http: httpx.Client, caller: Caller, item_id: str, data: bytes, filename: str | None,
           content_type: str | None, **kwargs) -> httpx.Response:
    body, ctype = multipart(data, filename, content_type, **kwargs)
    return http.post(f"{ITEMS}/{item_id}/attachments", content=body,
                     headers={**caller.auth, "Content-Type": ctype})


def upload_ok(http: httpx.Client, caller: Caller, item_id: str, data: bytes, filename: str,
              content_type: str, **kwargs) -> dict:
    resp = upload(http, caller, item_id, data, filename, content_type, **kwargs)
    assert resp.status_code == 201, resp.text
    return resp.json()


def dir_listing(srv: KeelServer) -> tuple[set[str], set[str]]:
    """dir_listing is (stored files, everything else) in the server's UPLOAD_DIR."""
    names = set(os.listdir(srv.upload_dir))
    stored = {n for n in names if STORED_NAME.match(n)}
    return stored, names - stored


def settled_listing(srv: KeelServer) -> tuple[set[str], set[str]]:
    """settled_listing is dir_listing once temporaries are gone: a request's spool file is
    removed when the request is destroyed, which may be just after its response was sent."""
    wait_for(lambda: not dir_listing(srv)[1], 2.0)
    return dir_listing(srv)


def content(http: httpx.Client, caller: Caller, attachment_id: str, **headers) -> httpx.Response:
    return http.get(f"{ATTACHMENTS}/{attachment_id}/content", headers={**caller.auth, **headers})


# --------------------------------------------------------------------------- uploads and downloads


@pytest.mark.parametrize("make,filename,content_type", [
    (lambda: png_bytes(), "pixel.png", "image/png"),
    (lambda: png_bytes(512, 400, noisy=True), "noise.png", "image/png"),  # ~600 KB: several reads and writes
    (pdf_bytes, "report.pdf", "application/pdf"),
    (jpeg_bytes, "photo.JPEG", "image/jpeg"),
    (lambda: TEXT, "list.txt", "text/plain"),
    (lambda: b"", "empty.txt", "text/plain"),
])
def test_upload_then_download_is_byte_identical(http, files_server, alice, make, filename, content_type):
    data = make()
    item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    resp = upload(http, alice, item["id"], data, filename, content_type)
    assert resp.status_code == 201, resp.text
    meta = resp.json()
    assert set(meta) >= {"id", "filename", "content_type", "size", "sha256", "created_at"}
    assert meta["filename"] == filename and meta["content_type"] == content_type
    assert meta["size"] == len(data) and type(meta["size"]) is int
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["item_id"] == item["id"]
    assert resp.headers["location"] == f"{ATTACHMENTS}/{meta['id']}"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", meta["created_at"]), meta

    # Exactly one new file, under a generated name, holding the bytes.
    stored_after, others = settled_listing(files_server)
    new_files = stored_after - stored_before
    assert len(new_files) == 1 and not others, (new_files, others)
    with open(os.path.join(files_server.upload_dir, new_files.pop()), "rb") as f:
        assert f.read() == data

    got = content(http, alice, meta["id"])
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"].split(";")[0] == content_type
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["etag"] == f'"{meta["sha256"]}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["accept-ranges"] == "bytes"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{filename}" in disposition
    assert "content-encoding" not in got.headers

    assert http.get(f"{ATTACHMENTS}/{meta['id']}", headers=alice.auth).json() == meta


def test_large_upload_is_streamed_and_gzip_is_never_applied(http, alice):
    data = png_bytes(1024, 1024, noisy=True)  # ~3 MiB
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], data, "big.png", "image/png")
    got = content(http, alice, meta["id"], **{"Accept-Encoding": "gzip"})
    assert got.status_code == 200 and got.content == data
    assert "content-encoding" not in got.headers


def test_list_attachments_oldest_first(http, alice):
    item = new_item(http, alice)
    empty = http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth)
    assert empty.status_code == 200 and empty.json() == {"attachments": []}
    first = upload_ok(http, alice, item["id"], TEXT, "a.txt", "text/plain")
    second = upload_ok(http, alice, item["id"], png_bytes(), "b.png", "image/png")
    listed = http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth)
    assert listed.status_code == 200
    assert listed.json() == {"attachments": [first, second]}
    other = new_item(http, alice)
    assert http.get(f"{ITEMS}/{other['id']}/attachments", headers=alice.auth).json() == {"attachments": []}


def test_metadata_etag_and_if_none_match(http, alice):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "a.txt", "text/plain")
    resp = http.get(f"{ATTACHMENTS}/{meta['id']}", headers=alice.auth)
    etag = resp.headers["etag"]
    assert etag.startswith('"') and etag != f'"{meta["sha256"]}"'
    again = http.get(f"{ATTACHMENTS}/{meta['id']}", headers={**alice.auth, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_fields_besides_the_file_are_allowed(http, alice):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "notes.txt", "text/plain", extra_fields={"note": "hi"})
    assert content(http, alice, meta["id"]).content == TEXT


def test_non_ascii_file_name_travels_in_rfc_8187_form(http, alice):
    item = new_item(http, alice)
    name = "naïve ☃ résumé.txt"
    meta = upload_ok(http, alice, item["id"], TEXT, "fallback.txt", "text/plain", filename_star=name)
    assert meta["filename"] == name
    disposition = content(http, alice, meta["id"]).headers["content-disposition"]
    assert "filename*=UTF-8''" + urllib.parse.quote(name, safe="") in disposition
    assert disposition.isascii()


# --------------------------------------------------------------------------- Range and conditional downloads


@pytest.fixture(scope="module")
def ranged(http, alice) -> tuple[dict, bytes]:
    data = png_bytes(64, 64, noisy=True)
    assert 1000 < len(data) < 1_000_000
    item = new_item(http, alice)
    return upload_ok(http, alice, item["id"], data, "range.png", "image/png"), data


def test_range_first_bytes(http, alice, ranged):
    meta, data = ranged
    resp = content(http, alice, meta["id"], Range="bytes=0-9")
    assert resp.status_code == 206
    assert resp.content == data[:10]
    assert resp.headers["content-length"] == "10"
    assert resp.headers["content-range"] == f"bytes 0-9/{len(data)}"
    assert resp.headers["etag"] == f'"{meta["sha256"]}"'


def test_range_suffix_and_open_ended(http, alice, ranged):
    meta, data = ranged
    suffix = content(http, alice, meta["id"], Range="bytes=-5")
    assert suffix.status_code == 206 and suffix.content == data[-5:]
    assert suffix.headers["content-range"] == f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}"
    tail = content(http, alice, meta["id"], Range="bytes=100-")
    assert tail.status_code == 206 and tail.content == data[100:]
    clamped = content(http, alice, meta["id"], Range=f"bytes=10-{len(data) * 2}")
    assert clamped.status_code == 206 and clamped.content == data[10:]


def test_range_past_the_end_is_416(http, alice, ranged):
    meta, data = ranged
    resp = content(http, alice, meta["id"], Range="bytes=1000000-")
    assert_httpx_problem(resp, 416, "range_not_satisfiable")
    assert resp.headers["content-range"] == f"bytes */{len(data)}"


def test_several_ranges_or_bad_syntax_get_the_whole_file(http, alice, ranged):
    meta, data = ranged
    for header in ("bytes=0-1,5-6", "items=0-5", "bytes=9-2"):
        resp = content(http, alice, meta["id"], Range=header)
        assert resp.status_code == 200 and resp.content == data, header


def test_if_range_and_if_none_match(http, alice, ranged):
    meta, data = ranged
    etag = f'"{meta["sha256"]}"'
    not_modified = content(http, alice, meta["id"], **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    stale = content(http, alice, meta["id"], Range="bytes=0-9", **{"If-Range": '"stale"'})
    assert stale.status_code == 200 and stale.content == data
    current = content(http, alice, meta["id"], Range="bytes=0-9", **{"If-Range": etag})
    assert current.status_code == 206 and current.content == data[:10]


# --------------------------------------------------------------------------- content checks


def assert_refused_without_trace(files_server, resp, status, code):
    assert_httpx_problem(resp, status, code)
    # Nothing lingers: the part's temp file and the spool are gone once the answer is out.
    assert wait_for(lambda: not dir_listing(files_server)[1], 2.0), dir_listing(files_server)


def test_html_disguised_as_png_is_refused(http, files_server, alice):
    item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    resp = upload(http, alice, item["id"], HTML, "cat.png", "image/png")
    assert_refused_without_trace(files_server, resp, 415, "unsupported_file_type")
    assert dir_listing(files_server)[0] == stored_before
    assert http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth).json() == {"attachments": []}


@pytest.mark.parametrize("data,filename,content_type", [
    (png_bytes(), "x.pdf", "application/pdf"),   # PNG bytes claiming to be a PDF
    (png_bytes(), "cat.jpg", "image/png"),       # right type, wrong extension
    (pdf_bytes(), "doc.png", "application/pdf"),  # extension of another type
    (HTML, "page.txt", "text/plain"),            # HTML is not plain text
    (gif_bytes(), "anim.gif", "image/gif"),      # a real GIF, but GIF is not on UPLOAD_ALLOWED_TYPES here
    (b"PK\x03\x04" + bytes(40), "a.zip", "application/zip"),
    (TEXT, "notes.txt", None),                   # no declared type
    (TEXT, "notes", "text/plain"),               # no extension
])
def test_type_mismatches_and_disallowed_types_are_415(http, files_server, alice, data, filename, content_type):
    item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    resp = upload(http, alice, item["id"], data, filename, content_type)
    assert_refused_without_trace(files_server, resp, 415, "unsupported_file_type")
    assert dir_listing(files_server)[0] == stored_before


def test_body_that_is_not_multipart_is_415(http, alice):
    item = new_item(http, alice)
    resp = http.post(f"{ITEMS}/{item['id']}/attachments", json={"file": "x"}, headers=alice.auth)
    assert_httpx_problem(resp, 415, "unsupported_media_type")


def test_missing_file_part_is_422(http, files_server, alice):
    item = new_item(http, alice)
    resp = upload(http, alice, item["id"], b"hello", None, None, field="document")
    errors = validation_errors(resp)
    assert errors[0]["loc"] == ["body", "file"], errors
    assert not settled_listing(files_server)[1]


def test_truncated_multipart_is_400(http, files_server, alice):
    item = new_item(http, alice)
    body, ctype = multipart(TEXT, "a.txt", "text/plain")
    resp = http.post(f"{ITEMS}/{item['id']}/attachments", content=body[:-20],
                     headers={**alice.auth, "Content-Type": ctype})
    assert_refused_without_trace(files_server, resp, 400, "bad_request")


# --------------------------------------------------------------------------- file names


def test_path_traversal_names_are_display_only(http, files_server, alice):
    item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    meta = upload_ok(http, alice, item["id"], TEXT, "../../etc/passwd.txt", "text/plain")
    assert meta["filename"] == "passwd.txt"
    meta2 = upload_ok(http, alice, item["id"], TEXT, "x", "text/plain", filename_star="..\\..\\boot\\evil.txt")
    assert meta2["filename"] == "evil.txt"
    # Stored under generated names inside UPLOAD_DIR; nothing written where the names pointed.
    stored_after, others = settled_listing(files_server)
    assert len(stored_after - stored_before) == 2 and not others
    for path in ("etc/passwd.txt", "../etc/passwd.txt", "boot/evil.txt", "uploads/passwd.txt"):
        assert not os.path.exists(os.path.join(files_server.tmp, path)), path
    disposition = content(http, alice, meta["id"]).headers["content-disposition"]
    assert "/" not in disposition and ".." not in disposition


def test_crlf_in_file_name_cannot_inject_headers(http, alice):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "x.txt", "text/plain",
                     filename_star="evil\r\nX-Injected: yes\r\n\r\n<script>.txt")
    assert "\r" not in meta["filename"] and "\n" not in meta["filename"]
    assert meta["filename"].endswith(".txt") and meta["filename"].startswith("evil")
    got = content(http, alice, meta["id"])
    assert got.status_code == 200 and got.content == TEXT
    assert "x-injected" not in got.headers
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    fallback = re.search(r'filename="([^"]*)"', disposition)
    assert fallback and "\r" not in fallback.group(1) and "\n" not in fallback.group(1)
    assert "%0D" not in disposition.upper() and "%0A" not in disposition.upper()


def test_quotes_in_file_name_stay_inside_the_header_value(http, alice):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "x.txt", "text/plain",
                     filename_star='a"; filename="evil.html.txt')
    disposition = content(http, alice, meta["id"]).headers["content-disposition"]
    assert disposition.count('filename="') == 1 and "evil.html.txt" in meta["filename"]
    assert '"' not in meta["filename"]


# --------------------------------------------------------------------------- deletion


def test_delete_attachment_removes_row_then_file(http, files_server, alice):
    item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    meta = upload_ok(http, alice, item["id"], png_bytes(), "gone.png", "image/png")
    (name,) = dir_listing(files_server)[0] - stored_before
    resp = http.delete(f"{ATTACHMENTS}/{meta['id']}", headers=alice.auth)
    assert resp.status_code == 204 and resp.content == b""
    assert name not in dir_listing(files_server)[0]
    assert_httpx_problem(http.get(f"{ATTACHMENTS}/{meta['id']}", headers=alice.auth), 404, "not_found")
    assert_httpx_problem(content(http, alice, meta["id"]), 404, "not_found")
    assert_httpx_problem(http.delete(f"{ATTACHMENTS}/{meta['id']}", headers=alice.auth), 404, "not_found")
    assert http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth).json() == {"attachments": []}


def test_deleting_the_item_removes_its_files(http, files_server, alice):
    item = new_item(http, alice)
    keep_item = new_item(http, alice)
    stored_before, _ = dir_listing(files_server)
    first = upload_ok(http, alice, item["id"], png_bytes(), "a.png", "image/png")
    second = upload_ok(http, alice, item["id"], TEXT, "b.txt", "text/plain")
    kept = upload_ok(http, alice, keep_item["id"], TEXT, "c.txt", "text/plain")
    names = dir_listing(files_server)[0] - stored_before
    assert len(names) == 3
    assert http.delete(f"{ITEMS}/{item['id']}", headers=alice.auth).status_code == 204
    remaining = dir_listing(files_server)[0] - stored_before
    assert len(remaining) == 1, remaining
    for attachment in (first, second):
        assert_httpx_problem(content(http, alice, attachment["id"]), 404, "not_found")
    assert content(http, alice, kept["id"]).content == TEXT
    assert_httpx_problem(http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth), 404, "not_found")


def test_upload_to_a_missing_item_is_404_and_leaves_nothing(http, files_server, alice):
    stored_before, _ = dir_listing(files_server)
    resp = upload(http, alice, str(uuid.uuid4()), TEXT, "a.txt", "text/plain")
    assert_refused_without_trace(files_server, resp, 404, "not_found")
    assert dir_listing(files_server)[0] == stored_before


# --------------------------------------------------------------------------- ownership and scopes


def test_another_users_item_and_attachments_are_404_everywhere(http, files_server, alice, bob):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "private.txt", "text/plain")
    stored_before, _ = dir_listing(files_server)
    for resp in (
        upload(http, bob, item["id"], TEXT, "sneaky.txt", "text/plain"),
        http.get(f"{ITEMS}/{item['id']}/attachments", headers=bob.auth),
        http.get(f"{ATTACHMENTS}/{meta['id']}", headers=bob.auth),
        content(http, bob, meta["id"]),
        content(http, bob, meta["id"], Range="bytes=0-3"),
        http.delete(f"{ATTACHMENTS}/{meta['id']}", headers=bob.auth),
    ):
        assert_httpx_problem(resp, 404, "not_found")
    # Same answer as for ids that do not exist at all.
    missing = http.get(f"{ATTACHMENTS}/{uuid.uuid4()}", headers=bob.auth)
    assert_httpx_problem(missing, 404, "not_found")
    assert missing.json()["detail"] == http.get(f"{ATTACHMENTS}/{meta['id']}", headers=bob.auth).json()["detail"]
    # Bob changed nothing.
    assert dir_listing(files_server)[0] == stored_before
    assert content(http, alice, meta["id"]).content == TEXT
    assert http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth).json() == {"attachments": [meta]}


def test_admin_reaches_any_attachment(http, files_server, alice):
    item = new_item(http, alice)
    admin = new_caller(http)
    promoted = run_cli(["create-admin", "--email", admin.email],
                       {**files_server.env, "KEEL_ADMIN_PASSWORD": admin.password}, cwd=files_server.tmp)
    assert promoted.returncode == 0, promoted.stderr
    admin.token = sign_in(http, admin.email, admin.password, "items:read items:write admin")
    meta = upload_ok(http, admin, item["id"], TEXT, "by-admin.txt", "text/plain")
    # The file belongs with the item: its owner sees it.
    assert content(http, alice, meta["id"]).content == TEXT
    assert content(http, admin, meta["id"]).content == TEXT
    assert http.get(f"{ITEMS}/{item['id']}/attachments", headers=admin.auth).json() == {"attachments": [meta]}
    assert http.delete(f"{ATTACHMENTS}/{meta['id']}", headers=admin.auth).status_code == 204


def test_scopes(http, alice):
    item = new_item(http, alice)
    meta = upload_ok(http, alice, item["id"], TEXT, "a.txt", "text/plain")
    reader = Caller(alice.email, alice.password, sign_in(http, alice.email, alice.password, "items:read"))
    refused = upload(http, reader, item["id"], TEXT, "b.txt", "text/plain")
    assert_httpx_problem(refused, 403, "insufficient_scope")
    assert_httpx_problem(http.delete(f"{ATTACHMENTS}/{meta['id']}", headers=reader.auth), 403,
                         "insufficient_scope")
    assert content(http, reader, meta["id"]).content == TEXT
    profile_only = Caller(alice.email, alice.password, sign_in(http, alice.email, alice.password, "profile"))
    assert_httpx_problem(content(http, profile_only, meta["id"]), 403, "insufficient_scope")
    assert_httpx_problem(http.get(f"{ITEMS}/{item['id']}/attachments", headers=profile_only.auth), 403,
                         "insufficient_scope")


# --------------------------------------------------------------------------- before the body, and aborted bodies


def raw_upload_head(srv: KeelServer, path: str, content_length: int, content_type: str,
                    token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n{auth}Content-Type: {content_type}\r\n"
            f"Content-Length: {content_length}\r\n\r\n").encode()


@pytest.mark.parametrize("token", [None, "not.a.jwt"])
def test_upload_without_a_valid_token_is_refused_before_the_body(http, files_server, alice, token):
    item = new_item(http, alice)
    _, ctype = multipart(b"", "a.txt", "text/plain")
    head = raw_upload_head(files_server, f"{ITEMS}/{item['id']}/attachments", 5_000_000, ctype, token)
    with RawConnection(files_server.port) as conn:
        conn.send(head)  # headers only: the answer must not wait for the 5 MB
        resp = conn.read_response()
        assert_raw_problem(resp, 401, "unauthorized" if token is None else "invalid_token")
        assert resp.header("www-authenticate").startswith("Bearer")
        assert conn.closed_within(3.0) is not None
    assert not settled_listing(files_server)[1]


def test_client_disconnecting_mid_upload_leaves_nothing(http, files_server, alice):
    item = new_item(http, alice)
    stored_before, others = settled_listing(files_server)
    assert not others
    body, ctype = multipart(png_bytes(256, 256, noisy=True), "cut.png", "image/png")
    head = raw_upload_head(files_server, f"{ITEMS}/{item['id']}/attachments", len(body), ctype, alice.token)
    with RawConnection(files_server.port) as conn:
        conn.send(head + body[:len(body) // 2])
        # The body is being spooled to disk as it arrives...
        assert wait_for(lambda: any(n.startswith(".spool-") for n in dir_listing(files_server)[1]), 3.0), \
            dir_listing(files_server)
    # ...and goes when the client does.
    assert wait_for(lambda: not dir_listing(files_server)[1], 3.0), dir_listing(files_server)
    assert dir_listing(files_server)[0] == stored_before
    assert http.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.auth).json() == {"attachments": []}


# --------------------------------------------------------------------------- size cap (a server of its own)


@pytest.fixture(scope="module")
def small_server():
    srv = start_server({"UPLOAD_MAX_BYTES": "65536"})
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def small(small_server):
    with httpx.Client(base_url=small_server.base_url, timeout=10.0) as c:
        caller = new_caller(c)
        yield c, caller, new_item(c, caller)["id"]


def test_file_at_the_cap_is_accepted(small_server, small):
    client, caller, item_id = small
    data = png_bytes()
    data += b"\x00" * (65536 - len(data))  # trailing bytes after IEND: still a PNG to libmagic
    meta = upload_ok(client, caller, item_id, data, "max.png", "image/png")
    assert meta["size"] == 65536
    assert content(client, caller, meta["id"]).content == data


def test_declared_oversize_upload_is_413_before_the_body(small_server, small):
    client, caller, item_id = small
    stored_before, _ = dir_listing(small_server)
    body, ctype = multipart(png_bytes(256, 256, noisy=True), "big.png", "image/png")
    assert len(body) > 65536 + 16384
    head = raw_upload_head(small_server, f"{ITEMS}/{item_id}/attachments", len(body), ctype, caller.token)
    with RawConnection(small_server.port) as conn:
        conn.send(head)
        resp = conn.read_response()
    assert_raw_problem(resp, 413, "payload_too_large")
    assert wait_for(lambda: not dir_listing(small_server)[1], 2.0), dir_listing(small_server)
    assert dir_listing(small_server)[0] == stored_before


def test_file_over_the_cap_within_the_multipart_slack_is_413(small_server, small):
    client, caller, item_id = small
    stored_before, _ = dir_listing(small_server)
    data = png_bytes()
    data += b"\x00" * (65537 - len(data))  # one byte over: the body fits the route's limit, the file does not
    resp = upload(client, caller, item_id, data, "over.png", "image/png")
    assert_httpx_problem(resp, 413, "payload_too_large")
    assert wait_for(lambda: not dir_listing(small_server)[1], 2.0), dir_listing(small_server)
    assert dir_listing(small_server)[0] == stored_before
    listed = client.get(f"{ITEMS}/{item_id}/attachments", headers=caller.auth).json()["attachments"]
    assert "over.png" not in [a["filename"] for a in listed]


def test_chunked_upload_growing_past_the_limit_is_413(small_server, small):
    client, caller, item_id = small
    stored_before, _ = dir_listing(small_server)
    _, ctype = multipart(b"", "a.png", "image/png")
    head = (f"POST {ITEMS}/{item_id}/attachments HTTP/1.1\r\nHost: 127.0.0.1:{small_server.port}\r\n"
            f"Authorization: Bearer {caller.token}\r\nContent-Type: {ctype}\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n").encode()
    piece = os.urandom(8192)
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    with RawConnection(small_server.port) as conn:
        conn.send(head)
        conn.send_until_answered(chunk * 40)  # 320 KiB, far past 64 KiB + slack
        resp = conn.read_response()
    assert_raw_problem(resp, 413, "payload_too_large")
    assert wait_for(lambda: not dir_listing(small_server)[1], 2.0), dir_listing(small_server)
    assert dir_listing(small_server)[0] == stored_before
