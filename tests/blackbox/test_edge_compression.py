"""Compression (SPEC §4): gzip responses when accepted, gzip request bodies with a
decompressed-size cap (zip bomb), unknown codings refused."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx

from keel_harness import RawConnection, assert_httpx_problem, assert_raw_problem, http_get, raw_request

WIDGETS = "/api/v1/demo/widgets"


def vary_tokens(headers: list[str]) -> set[str]:
    return {t.strip().lower() for v in headers for t in v.split(",")}


def test_large_text_response_is_gzipped_when_accepted(server):
    resp = raw_request(server.port, http_get("/metrics", server.port, "Accept-Encoding: gzip, deflate\r\n"))
    assert resp.status == 200
    assert resp.header("content-encoding") == "gzip"
    assert "accept-encoding" in vary_tokens(resp.header_all("vary"))
    assert resp.body[:2] == b"\x1f\x8b"
    assert int(resp.header("content-length")) == len(resp.body)
    text = gzip.decompress(resp.body).decode()
    assert "http_requests_total" in text
    assert len(resp.body) < len(text) / 3


def test_httpx_reads_the_gzipped_answer_transparently(client):
    resp = client.get("/metrics")  # httpx sends Accept-Encoding: gzip, deflate
    assert resp.headers["content-encoding"] == "gzip"
    assert "# TYPE http_requests_total counter" in resp.text


def test_no_compression_without_or_against_accept_encoding(server):
    for extra in ("", "Accept-Encoding: identity\r\n", "Accept-Encoding: gzip;q=0, br\r\n",
                  "Accept-Encoding: *;q=0\r\n"):
        resp = raw_request(server.port, http_get("/metrics", server.port, extra))
        assert resp.status == 200
        assert resp.header("content-encoding") is None, extra
        assert b"http_requests_total" in resp.body
        # Caches must still know the answer depends on Accept-Encoding.
        assert "accept-encoding" in vary_tokens(resp.header_all("vary")), extra


def test_small_responses_are_sent_as_they_are(server):
    resp = raw_request(server.port, http_get("/health", server.port, "Accept-Encoding: gzip\r\n"))
    assert resp.header("content-encoding") is None
    assert resp.json() == {"status": "ok"}


def test_head_announces_the_same_length_as_get(server):
    extra = "Accept-Encoding: gzip\r\n"
    with RawConnection(server.port) as conn:
        conn.send(http_get("/metrics", server.port, extra, method="HEAD"))
        head = conn.read_response(head_request=True)
    assert head.header("content-encoding") == "gzip"
    assert int(head.header("content-length")) > 0


def test_gzip_request_body_is_accepted(client):
    body = gzip.compress(json.dumps({"name": "zipped", "quantity": 7}).encode())
    resp = client.post(WIDGETS, content=body,
                       headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "zipped"
    assert resp.json()["quantity"] == 7


def gzip_bomb(decompressed_bytes: int) -> bytes:
    """gzip_bomb compresses that many zero bytes without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    parts = [packer.compress(chunk) for _ in range(decompressed_bytes // len(chunk))]
    parts.append(packer.flush())
    return b"".join(parts)


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_gzip_bomb_is_stopped_at_max_body_bytes(server):
    bomb = gzip_bomb(128 << 20)  # 128 MiB of zeros in about 130 KiB, well under MAX_BODY_BYTES
    assert len(bomb) < 200 << 10
    before = peak_rss_kib(server.proc.pid)
    resp = httpx.post(server.url(WIDGETS), content=bomb,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, timeout=20)
    doc = assert_httpx_problem(resp, 413, "payload_too_large")
    assert "1048576" in doc["detail"]  # the default MAX_BODY_BYTES caps the inflated size
    assert peak_rss_kib(server.proc.pid) - before < 32 * 1024, "inflating the bomb grew memory"
    assert httpx.get(server.url("/health")).status_code == 200


def test_unknown_content_encoding_is_415(client):
    resp = client.post(WIDGETS, content=b"{}", headers={"Content-Type": "application/json",
                                                        "Content-Encoding": "br"})
    assert_httpx_problem(resp, 415, "unsupported_media_type")
    assert resp.headers["accept-encoding"] == "gzip"
    resp = client.post(WIDGETS, content=b"{}", headers={"Content-Type": "application/json",
                                                        "Content-Encoding": "gzip, gzip"})
    assert_httpx_problem(resp, 415, "unsupported_media_type")


def test_corrupt_gzip_body_is_400(client):
    good = gzip.compress(json.dumps({"name": "x", "quantity": 1}).encode())
    for bad in (good[: len(good) // 2], b"this is not gzip", good + b"junk"):
        resp = client.post(WIDGETS, content=bad, headers={"Content-Type": "application/json",
                                                          "Content-Encoding": "gzip"})
        assert_httpx_problem(resp, 400, "bad_request")


def test_identity_encoding_is_accepted(client):
    resp = client.post(WIDGETS, json={"name": "plain", "quantity": 1}, headers={"Content-Encoding": "identity"})
    assert resp.status_code == 201


def test_error_problem_answers_are_not_broken_by_compression(server):
    resp = raw_request(server.port, http_get("/no/such/route", server.port, "Accept-Encoding: gzip\r\n"))
    assert_raw_problem(resp, 404, "not_found", "/no/such/route")
