"""Operations endpoints (SPEC §6): /health, /readiness, /metrics (+ METRICS_TOKEN)."""

from __future__ import annotations

import secrets
import threading
import time

import httpx
import pytest

from keel_harness import (KeelServer, assert_httpx_problem, find_samples, parse_metrics,
                          register_secret, wait_for)

METRICS_TOKEN = register_secret("s3cr3t-metrics-token-value")


def scrape(client) -> list:
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.text
    return parse_metrics(resp.text)


def counter(samples, **labels) -> float:
    found = find_samples(samples, "http_requests_total", **labels)
    return sum(s.value for s in found)


def test_health(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.headers["content-type"].split(";")[0].strip() == "application/json"
    assert resp.json() == {"status": "ok"}


def test_head_health(client):
    resp = client.head("/health")
    assert resp.status_code == 200
    assert resp.content == b""
    assert int(resp.headers["content-length"]) == len(client.get("/health").content)


def test_readiness(client):
    resp = client.get("/readiness")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].split(";")[0].strip() == "application/json"
    doc = resp.json()
    assert doc["status"] == "ok", doc
    assert isinstance(doc.get("checks"), dict), doc
    assert doc["checks"].get("database") == "ok", doc
    assert all(v == "ok" for v in doc["checks"].values()), doc


def test_metrics_format_and_families(client):
    client.get("/health")
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain"), resp.headers["content-type"]
    text = resp.text
    samples = parse_metrics(text)
    for needle in ("http_request_duration_seconds_bucket", "http_requests_in_flight",
                   "process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total",
                   "keel_build_info{", "keel_uptime_seconds"):
        assert needle in text, f"{needle} missing from /metrics"
    assert find_samples(samples, "http_requests_total", method="GET", route="/health", status="200")
    rss = find_samples(samples, "process_resident_memory_bytes")
    assert rss and rss[0].value > 1_000_000, rss
    fds = find_samples(samples, "process_open_fds")
    assert fds and fds[0].value >= 3, fds
    build = find_samples(samples, "keel_build_info")
    assert build and build[0].value == 1 and build[0].labels.get("version"), build
    buckets = find_samples(samples, "http_request_duration_seconds_bucket")
    assert buckets and all("le" in b.labels for b in buckets), buckets[:3]
    assert any(b.labels["le"] == "+Inf" for b in buckets)
    uptime = find_samples(samples, "keel_uptime_seconds")
    assert uptime and uptime[0].value >= 0


def test_metrics_exact_text_for_health(client):
    client.get("/health")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in text


def test_metrics_counts_each_request_once(client):
    before = counter(scrape(client), method="GET", route="/health", status="200")
    for _ in range(3):
        assert client.get("/health").status_code == 200
    after = wait_for(lambda: (lambda v: v if v >= before + 3 else None)(
        counter(scrape(client), method="GET", route="/health", status="200")), timeout=2.0)
    assert after == before + 3, (before, after)


def test_metrics_route_label_is_template(client):
    assert client.get("/api/v1/demo/pages/7").status_code == 200
    assert client.get("/api/v1/demo/pages/8123").status_code == 200
    assert client.get("/definitely/unknown-path-xyz").status_code == 404

    def check():
        text = client.get("/metrics").text
        s = parse_metrics(text)
        ok = (find_samples(s, "http_requests_total", method="GET", route="/api/v1/demo/pages/{n:int}",
                           status="200")
              and find_samples(s, "http_requests_total", method="GET", route="unmatched", status="404"))
        return text if ok else None

    text = wait_for(check, timeout=2.0)
    assert text, "templated route or route=\"unmatched\" missing from http_requests_total"
    assert "/pages/7" not in text and "/pages/8123" not in text, "raw path used as a label"
    assert "unknown-path-xyz" not in text, "raw unknown path used as a label"
    routes = {s.labels.get("route") for s in parse_metrics(text) if "route" in s.labels}
    assert not any(r and r.startswith("/definitely") for r in routes), routes


def test_metrics_in_flight_is_a_gauge(client):
    samples = scrape(client)
    gauge = find_samples(samples, "http_requests_in_flight")
    assert gauge, "http_requests_in_flight missing"
    # The scrape itself may be counted as in flight, nothing else is running.
    assert 0 <= sum(g.value for g in gauge) <= 2, gauge


# --------------------------------------------------------------------------- METRICS_TOKEN


@pytest.fixture(scope="module")
def token_server():
    srv = KeelServer({"METRICS_TOKEN": METRICS_TOKEN})
    try:
        yield srv.start()
    finally:
        srv.close()


def test_metrics_without_token_is_401(token_server):
    resp = httpx.get(token_server.url("/metrics"))
    assert resp.status_code == 401, resp.text
    code = resp.json().get("code")
    assert code in ("unauthorized", "invalid_token"), code
    assert_httpx_problem(resp, 401, code)
    assert resp.headers.get("www-authenticate", "").startswith("Bearer"), resp.headers
    assert "http_requests_total" not in resp.text


@pytest.mark.parametrize("auth", ["Bearer wrong", "Bearer " + METRICS_TOKEN[:-1],
                                  "Bearer " + METRICS_TOKEN + "x", "Basic " + METRICS_TOKEN,
                                  METRICS_TOKEN],
                         ids=["wrong", "prefix", "longer", "basic-scheme", "no-scheme"])
def test_metrics_with_wrong_token_is_401(token_server, auth):
    resp = httpx.get(token_server.url("/metrics"), headers={"Authorization": auth})
    assert resp.status_code == 401, resp.text
    assert resp.headers.get("content-type", "").startswith("application/problem+json")
    assert "http_requests_total" not in resp.text
    assert METRICS_TOKEN not in resp.text


def test_metrics_with_right_token_is_200(token_server):
    resp = httpx.get(token_server.url("/metrics"), headers={"Authorization": "Bearer " + METRICS_TOKEN})
    assert resp.status_code == 200, resp.text
    assert "http_requests_total" in resp.text


def test_health_needs_no_metrics_token(token_server):
    assert httpx.get(token_server.url("/health")).status_code == 200
    assert httpx.get(token_server.url("/readiness")).status_code == 200


def test_metrics_carry_database_pool_and_query_metrics(client):
    """Database performance monitoring (SPEC §6): pool gauges and per-statement query durations."""
    email = f"metrics-{secrets.token_hex(4)}@example.com"
    password = register_secret("metrics-Passphrase-unguessable-2026")
    assert client.post("/api/v1/auth/register", json={"email": email, "password": password}).status_code == 201
    samples = scrape(client)
    for gauge in ("db_pool_connections", "db_pool_waiting"):
        assert find_samples(samples, gauge), f"{gauge} missing from /metrics"
    counts = [s for s in samples if s.name == "db_query_duration_seconds_count" and s.value > 0]
    assert counts, "no query durations recorded after database traffic"
    assert all("statement" in s.labels for s in counts), counts[:3]
    assert find_samples(samples, "db_query_errors_total") is not None


def test_docs_assets_are_served_gzipped_and_cacheable(client):
    """Static assets compressed: the Swagger UI bundle (about 1.4 MB) travels gzipped."""
    page = client.get("/docs")
    if page.status_code == 503:
        pytest.fail("docs UI assets missing: run `npm ci` (scripts/setup does)")
    resp = client.get("/docs/assets/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers.get("content-encoding") == "gzip"
    assert int(resp.headers["content-length"]) < len(resp.content) / 2  # httpx decoded it
    assert resp.headers["content-type"].startswith("text/javascript") or \
        resp.headers["content-type"].startswith("application/javascript")


def test_health_answers_promptly_while_every_handler_thread_is_busy(make_server):
    """I/O and blocking work are separate: with WORKERS=1 and every handler
    thread (32, the floor) asleep in a slow request, /health (an inline route)
    still answers at once."""
    server = make_server({"WORKERS": "1", "HANDLER_TIMEOUT_MS": "10000"})
    handler_threads = 32
    statuses = []

    def slow_call():
        statuses.append(httpx.get(server.url("/api/v1/demo/slow?ms=3000"), timeout=10).status_code)

    workers = [threading.Thread(target=slow_call) for _ in range(handler_threads + 4)]
    for worker in workers:
        worker.start()
    time.sleep(0.8)  # the slow requests now hold every handler thread, and four more wait
    started = time.monotonic()
    health = httpx.get(server.url("/health"), timeout=5)
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join(timeout=15)
    assert health.status_code == 200
    assert elapsed < 1.0, f"/health waited {elapsed:.2f}s behind blocking handlers"
    assert statuses == [200] * (handler_threads + 4)
