"""Rate limits (SPEC §4): token buckets per client, the stricter auth budget, IETF
RateLimit headers, 429 + Retry-After, and a budget shared by two keel processes
through one real redis-server (and what happens when Redis goes away)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from keel_harness import KeelServer, assert_httpx_problem, find_samples, parse_metrics, wait_for
from redis_server import RedisServer

PAGE = "/api/v1/demo/pages/1"
STATE_RE = re.compile(r'^"(?P<name>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def state(resp: httpx.Response) -> dict:
    m = STATE_RE.match(resp.headers.get("ratelimit", ""))
    assert m, f"bad RateLimit header: {resp.headers.get('ratelimit')!r}"
    return {"name": m["name"], "r": int(m["r"]), "t": int(m["t"])}


def metric(srv: KeelServer, name: str, **labels) -> float:
    samples = parse_metrics(httpx.get(srv.url("/metrics")).text)
    return sum(s.value for s in find_samples(samples, name, **labels))


def test_budget_headers_and_429(make_server):
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "5"})
    with httpx.Client(base_url=srv.base_url) as client:
        for expected_remaining in range(4, -1, -1):
            resp = client.get(PAGE)
            assert resp.status_code == 200
            assert resp.headers["ratelimit-policy"] == '"default";q=5;w=60'
            assert state(resp)["r"] == expected_remaining
            assert 0 < state(resp)["t"] <= 60
        refused = client.get(PAGE)
        assert_httpx_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 12
        assert state(refused) == {"name": "default", "r": 0, "t": state(refused)["t"]}
        # The operations endpoints are never limited and carry no budget headers.
        for _ in range(10):
            health = client.get("/health")
            assert health.status_code == 200
            assert "ratelimit" not in health.headers
        assert client.get("/readiness").status_code == 200
        assert metric(srv, "rate_limit_rejections_total", policy="default") == 1


def test_errors_count_and_show_the_budget_too(make_server):
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "3"})
    statuses = [httpx.get(srv.url("/no/such/route")).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_auth_endpoints_have_their_own_stricter_budget(make_server):
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "100", "RATE_LIMIT_AUTH_PER_MINUTE": "2"})
    with httpx.Client(base_url=srv.base_url) as client:
        for _ in range(2):
            resp = client.post("/api/v1/auth/token", data={"grant_type": "password"})
            assert resp.status_code != 429
            assert resp.headers["ratelimit-policy"] == '"auth";q=2;w=60'
        refused = client.post("/api/v1/auth/token", data={"grant_type": "password"})
        assert_httpx_problem(refused, 429, "rate_limited")
        assert 25 <= int(refused.headers["retry-after"]) <= 30
        # Ordinary endpoints still have their own budget.
        ok = client.get(PAGE)
        assert ok.status_code == 200
        assert ok.headers["ratelimit-policy"] == '"default";q=100;w=60'
        assert metric(srv, "rate_limit_rejections_total", policy="auth") == 1


def test_clients_behind_a_trusted_proxy_have_separate_budgets(make_server):
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "3", "TRUSTED_PROXIES": "127.0.0.1"})
    alice = {"X-Forwarded-For": "203.0.113.1"}
    bob = {"X-Forwarded-For": "203.0.113.2"}
    assert [httpx.get(srv.url(PAGE), headers=alice).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert httpx.get(srv.url(PAGE), headers=bob).status_code == 200


def test_a_spoofed_forwarded_for_does_not_buy_a_new_budget(make_server):
    srv = make_server({"RATE_LIMIT_PER_MINUTE": "3"})
    statuses = [httpx.get(srv.url(PAGE), headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_rate_limiting_can_be_switched_off(make_server):
    srv = make_server({"RATE_LIMIT_ENABLED": "false", "RATE_LIMIT_PER_MINUTE": "1"})
    responses = [httpx.get(srv.url(PAGE)) for _ in range(10)]
    assert all(r.status_code == 200 for r in responses)
    assert all("ratelimit" not in r.headers for r in responses)


# ---------------------------------------------------------------- Redis

@pytest.fixture
def redis():
    with RedisServer() as server:
        yield server


def test_two_processes_share_one_budget_through_redis(make_server, redis):
    limit = 10
    env = {"REDIS_URL": redis.url, "RATE_LIMIT_PER_MINUTE": str(limit)}
    first, second = make_server(env), make_server(env)
    start = time.monotonic()
    statuses = []
    with httpx.Client() as client:
        for i in range(3 * limit):
            srv = first if i % 2 == 0 else second
            statuses.append(client.get(srv.url(PAGE)).status_code)
    elapsed = time.monotonic() - start
    allowed = statuses.count(200)
    # One token comes back every 6 s; the loop takes far less.
    assert limit <= allowed <= limit + int(elapsed // 6), (statuses, elapsed)
    assert statuses[:limit] == [200] * limit
    assert statuses.count(429) == 3 * limit - allowed
    # Both processes refused some: neither had a private budget.
    assert 429 in statuses[limit::2] and 429 in statuses[limit + 1::2]
    assert redis.command("EXISTS", "keel:rl:default:ip:127.0.0.1") == 1
    assert metric(first, "rate_limit_backend_errors_total") == 0
    assert httpx.get(first.url("/readiness")).json()["checks"]["redis"] == "ok"


def test_redis_down_fails_open_to_local_limits_then_recovers(make_server, redis):
    srv = make_server({"REDIS_URL": redis.url, "RATE_LIMIT_PER_MINUTE": "5"})
    assert httpx.get(srv.url(PAGE)).status_code == 200  # through Redis
    redis.stop()

    # Served (not 500/503), still limited by this process's own bucket.
    statuses = [httpx.get(srv.url(PAGE)).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2, statuses
    assert metric(srv, "rate_limit_backend_errors_total") >= 7
    readiness = httpx.get(srv.url("/readiness"))
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["redis"] == "unavailable"
    warnings = srv.wait_log(lambda l: l.get("msg") == "redis unavailable", 1)
    assert warnings and all(w["level"] == "warning" for w in warnings)
    # Rate-limited logging: a burst of failures is one line, not one per request.
    assert len(warnings) <= 2, warnings
    assert "redis" in warnings[0]["error"]

    redis.start()  # same port
    assert wait_for(lambda: httpx.get(srv.url("/readiness")).status_code == 200, timeout=5)
    # Redis-backed again: a fresh bucket there, whatever the local one says.
    resp = httpx.get(srv.url(PAGE))
    assert resp.status_code == 200
    assert state(resp)["r"] == 4
    assert redis.command("EXISTS", "keel:rl:default:ip:127.0.0.1") == 1


def test_keel_starts_while_redis_is_down(make_server):
    from keel_harness import free_port
    srv = make_server({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "RATE_LIMIT_PER_MINUTE": "2"})
    assert [httpx.get(srv.url(PAGE)).status_code for _ in range(3)] == [200, 200, 429]
    assert httpx.get(srv.url("/readiness")).status_code == 503


def test_password_protected_redis(make_server):
    from keel_harness import register_secret
    password = register_secret("bb-redis-Password-0a9f77")
    with RedisServer(password=password) as redis:
        srv = make_server({"REDIS_URL": redis.url, "RATE_LIMIT_PER_MINUTE": "2"})
        assert [httpx.get(srv.url(PAGE)).status_code for _ in range(3)] == [200, 200, 429]
        assert redis.command("EXISTS", "keel:rl:default:ip:127.0.0.1") == 1
        assert metric(srv, "rate_limit_backend_errors_total") == 0


def test_rediss_urls_are_refused_at_startup():
    from keel_harness import run_cli
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        result = run_cli(["serve"], {"APP_ENV": "test", "REDIS_URL": "rediss://cache.example:6380/0"}, cwd=tmp)
    assert result.returncode == 78, result
    assert "REDIS_URL" in result.stderr
