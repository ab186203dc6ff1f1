"""Scaling out (issue 9, item 4): two keel replicas on one PostgreSQL and one
Redis behind nginx as a round-robin load balancer, and the state they must
share really is shared:

- both replicas run `keel migrate up` at the same moment on a fresh database:
  both succeed, every migration is applied and recorded once, and the schema
  is the one a single migrator makes;
- a rate-limit budget is one budget: requests spread over both replicas use
  it up together, and then either replica refuses;
- failed logins counted on one replica lock the account on the other;
- a logout on one replica revokes the access token on the other, through the
  Redis denylist (shown even with the database's session revocation undone);
- jobs queued through both replicas, whose runners both poll one queue, are
  each delivered exactly once.

Needs KEEL_TEST_POSTGRES_URL (ctest `deploy.scaling` runs this file under
tests/support/postgres.sh run); skipped without it, e.g. in `deploy.checks`.
nginx, redis-server and the SMTP sink are started here on free ports; every
client binds its own loopback address so each test has its own budgets.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from keel_harness import (SECRETS, KeelServer, assert_httpx_problem, clean_env, create_postgres_database,
                          find_samples, free_port, parse_metrics, register_secret, require_binary, run_cli,
                          wait_for)
from redis_server import RedisServer
from test_email_smtp import SmtpSink
from conftest import nginx_command
from test_nginx import NGINX, fill_template

pytestmark = pytest.mark.skipif(not os.environ.get("KEEL_TEST_POSTGRES_URL"),
                                reason="needs PostgreSQL: KEEL_TEST_POSTGRES_URL (ctest deploy.scaling)")

TEMPLATE = Path(__file__).with_name("nginx_lb.conf.template")
PAGE = "/api/v1/demo/pages/1"
BUDGET = 10                 # RATE_LIMIT_PER_MINUTE: one token back every 6 s
LOGIN_MAX_FAILURES = 4
REGISTRATIONS = 12          # verification mails queued by the job test


def password() -> str:
    return register_secret("".join(secrets.choice(string.ascii_lowercase) for _ in range(18)))


def new_email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(base_url: str, source_ip: str) -> httpx.Client:
    """client is an httpx client whose connections come from `source_ip` (a 127/8 address)."""
    return httpx.Client(base_url=base_url, timeout=15.0,
                        transport=httpx.HTTPTransport(local_address=source_ip))


@dataclass
class MigrateRun:
    """MigrateRun is one `keel migrate up` of a replica: exit code, output, and when it ran."""
    returncode: int
    stdout: str
    stderr: str
    started: float
    finished: float

    def report(self) -> dict:
        lines = [line for line in self.stdout.splitlines() if line.startswith("{")]
        assert len(lines) == 1, f"expected one JSON line: {self.stdout!r} {self.stderr!r}"
        return json.loads(lines[0])


# The advisory lock `keel migrate` takes on PostgreSQL ("keelmigr", docs: src/keel/db/migrations.cpp).
MIGRATION_LOCK_KEY = 0x6b65656c6d696772


def pg_connect(url: str):
    import psycopg2  # Debian's python3-psycopg2
    conn = psycopg2.connect(url.replace("postgresql://", "postgres://", 1))
    conn.autocommit = True
    return conn


@dataclass
class MigrationRace:
    """MigrationRace is what happened when both replicas ran `keel migrate up` together."""
    runs: list[MigrateRun]
    waiting_together: int      # migrators seen asking for the lock at the same time
    applied_while_held: int    # schema_migrations rows while the test held the lock


def migrate_at_once(servers: list[KeelServer], database_url: str) -> MigrationRace:
    """migrate_at_once starts `keel migrate up` for every replica (its own env and dir) together.

    The test holds the migration lock until every migrator is connected and
    asking for it, so they really contend instead of running one after the
    other by accident of timing; then it lets go and they race for it.
    """
    binary = require_binary()
    holder = pg_connect(database_url)
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    procs = [(subprocess.Popen([binary, "migrate", "up"], env=clean_env(s.env), cwd=s.tmp, text=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
              time.monotonic()) for s in servers]
    runs: list[MigrateRun | None] = [None] * len(procs)

    def wait(i: int) -> None:
        proc, started = procs[i]
        out, err = proc.communicate(timeout=90)
        runs[i] = MigrateRun(proc.returncode, out, err, started, time.monotonic())

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(procs))]
    for t in threads:
        t.start()
    try:
        def waiting() -> int:
            with holder.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid() AND query ILIKE '%pg_try_advisory_lock%'")
                return cur.fetchone()[0]
        wait_for(lambda: waiting() >= len(procs), 15)
        waiting_together = waiting()
        time.sleep(0.3)  # a migrator that ignored the lock would have started by now
        with holder.cursor() as cur:
            cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            applied_while_held = 0
            if cur.fetchone()[0]:
                cur.execute("SELECT count(*) FROM schema_migrations")
                applied_while_held = cur.fetchone()[0]
    finally:
        holder.close()  # releases the lock
        for t in threads:
            t.join()
    return MigrationRace(runs, waiting_together, applied_while_held)  # type: ignore[arg-type]


def schema_of(url: str) -> dict[str, list[tuple]]:
    """schema_of lists the public schema's columns, indexes and constraints (everything but the data)."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
                   "FROM information_schema.columns WHERE table_schema = 'public'",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE connamespace = 'public'::regnamespace",
    }
    conn = pg_connect(url)
    try:
        with conn.cursor() as cur:
            out = {}
            for name, sql in queries.items():
                cur.execute(sql)
                out[name] = sorted(cur.fetchall(), key=repr)
            return out
    finally:
        conn.close()


class LoadBalancer:
    """LoadBalancer is nginx from nginx_lb.conf.template, round robin over two replicas."""

    def __init__(self, replicas: list[KeelServer]):
        self.tmp = tempfile.mkdtemp(prefix="keel-lb-")
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        self.replicas = replicas
        self.access_log = os.path.join(self.tmp, "access.log")
        self.error_log = os.path.join(self.tmp, "error.log")
        self.proc: subprocess.Popen | None = None
        self._access_file = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LoadBalancer":
        site = fill_template(TEMPLATE.read_text(), {
            "KEEL_LISTEN": f"127.0.0.1:{self.port}",
            "KEEL_REPLICA_A": f"127.0.0.1:{self.replicas[0].port}",
            "KEEL_REPLICA_B": f"127.0.0.1:{self.replicas[1].port}",
        })
        with open(os.path.join(self.tmp, "lb.conf"), "w") as f:
            f.write(site)
        args = nginx_command(NGINX, self.tmp, self.error_log, os.path.join(self.tmp, "lb.conf"))
        self._access_file = open(self.access_log, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._access_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        if not wait_for(listening, 10):
            pytest.fail(f"nginx did not listen within 10 s\n{open(self.error_log).read()}")
        return self

    def served_by(self, request_id: str) -> str:
        """served_by names the replica ("a" or "b") nginx sent the request with this id to."""
        names = {f"127.0.0.1:{r.port}": name for r, name in zip(self.replicas, "ab")}

        def entry():
            with open(self.access_log, errors="replace") as f:
                found = [json.loads(line) for line in f if line.startswith("{") and request_id in line]
            return [e for e in found if e["request_id"] == request_id]
        entries = wait_for(entry, 3)
        assert len(entries) == 1, f"nginx logged request {request_id} {len(entries)} times"
        assert entries[0]["upstream"] in names, entries[0]
        return names[entries[0]["upstream"]]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._access_file is not None:
            self._access_file.close()
        if not os.environ.get("KEEL_BB_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class Cluster:
    """Cluster is what the module fixture set up: replicas a and b, nginx, Redis, the SMTP sink."""
    a: KeelServer
    b: KeelServer
    lb: LoadBalancer
    redis: RedisServer
    sink: SmtpSink
    database_url: str
    migrations: MigrationRace

    def replica(self, name: str) -> KeelServer:
        return {"a": self.a, "b": self.b}[name]

    def via_lb(self, source_ip: str) -> httpx.Client:
        return client(self.lb.base_url, source_ip)

    def direct(self, replica: KeelServer, source_ip: str) -> httpx.Client:
        return client(replica.base_url, source_ip)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    redis = RedisServer().start()
    smtp_port = free_port()
    sink = SmtpSink(smtp_port, tmp_path_factory.mktemp("mail"))
    database_url = create_postgres_database()
    # What makes them replicas of one service: the same database, Redis, keys and settings.
    shared = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "SECRET_KEY": register_secret("scaling-SecretKey-" + secrets.token_hex(20)),
        "DATA_ENCRYPTION_KEYS": "k1:" + register_secret(base64.b64encode(secrets.token_bytes(32)).decode()),
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_FROM": "Keel <no-reply@keel.test>",
        "TRUSTED_PROXIES": "127.0.0.1",
        "TRUSTED_HOSTS": "localhost,127.0.0.1",
        "RATE_LIMIT_PER_MINUTE": str(BUDGET),
        "RATE_LIMIT_AUTH_PER_MINUTE": "100000",
        "LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
        "JOB_WORKERS": "2",
    }
    replicas = [KeelServer(shared), KeelServer(shared)]
    lb = None
    try:
        migrations = migrate_at_once(replicas, database_url)
        for replica in replicas:
            replica.start()  # its own `migrate up` finds nothing left to do
        lb = LoadBalancer(replicas).start()
        yield Cluster(replicas[0], replicas[1], lb, redis, sink, database_url, migrations)
    finally:
        if lb is not None:
            lb.close()
        leaks = []
        for replica in replicas:
            replica.close()
            # SPEC §10: no secret handed to a replica shows up in its log.
            leaks += [f"{secret!r} in {replica.tmp}" for secret in sorted(SECRETS) if secret in replica.log_text()]
            if not os.environ.get("KEEL_BB_KEEP") and not leaks:
                replica.remove_tmp()
        sink.stop()
        redis.close()
    assert not leaks, "secrets leaked into the replicas' logs:\n" + "\n".join(leaks)


# --------------------------------------------------------------------------- migrations


def test_migrations_started_by_both_replicas_at_once_apply_once(cluster):
    race = cluster.migrations
    first, second = race.runs
    for run in (first, second):
        assert run.returncode == 0, f"`keel migrate up` exited {run.returncode}\n{run.stdout}\n{run.stderr}"
    # Both were running at once, waiting for the advisory lock, and neither
    # touched the schema while another session held it.
    assert race.waiting_together == 2, f"{race.waiting_together} migrator(s) asked for the migration lock"
    assert race.applied_while_held == 0
    assert first.started < second.finished and second.started < first.finished
    reports = [first.report(), second.report()]
    applied = sorted(reports[0]["applied"] + reports[1]["applied"])
    rows = cluster.a.sql("SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version")
    versions = [int(version) for version, _ in rows]
    assert versions and all(count == 1 for _, count in rows), rows
    assert applied == versions, f"applied {reports}, recorded {versions}"
    assert reports[0]["version"] == reports[1]["version"] == versions[-1]

    # The same migrations and schema a single, uncontested migrator makes.
    reference = create_postgres_database()
    alone = run_cli(["migrate", "up"], {"DATABASE_URL": reference}, cwd=cluster.a.tmp)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert json.loads(alone.stdout.splitlines()[-1])["applied"] == versions
    assert schema_of(cluster.database_url) == schema_of(reference)


# --------------------------------------------------------------------------- rate limit


def test_rate_limit_budget_is_shared_by_the_replicas(cluster):
    ip = "127.0.0.3"
    with cluster.via_lb(ip) as c:
        started = time.monotonic()
        answers = [c.get(PAGE) for _ in range(BUDGET)]
        refused = [c.get(PAGE) for _ in range(2)]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in answers] == [200] * BUDGET, [r.text[:200] for r in answers]
    served = [cluster.lb.served_by(r.headers["x-request-id"]) for r in answers]
    assert Counter(served) == {"a": BUDGET // 2, "b": BUDGET // 2}, served
    for r, name in zip(answers, served):  # and that replica's own access log agrees
        lines = cluster.replica(name).access_lines(r.headers["x-request-id"])
        assert len(lines) == 1 and lines[0]["client_ip"] == ip, lines
    if elapsed < 5:  # no token came back meanwhile: one countdown across both replicas
        remaining = [int(r.headers["ratelimit"].rsplit("r=", 1)[1].split(";")[0]) for r in answers]
        assert remaining == list(range(BUDGET - 1, -1, -1)), (remaining, served)
    # Used up: the next request is refused by whichever replica gets it.
    assert {cluster.lb.served_by(r.headers["x-request-id"]) for r in refused} == {"a", "b"}
    for r in refused:
        assert_httpx_problem(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
    # And straight at each replica (the same client, as a trusted proxy reports it).
    for replica in (cluster.a, cluster.b):
        with cluster.direct(replica, "127.0.0.1") as c:
            assert_httpx_problem(c.get(PAGE, headers={"X-Forwarded-For": ip}), 429, "rate_limited")
    assert cluster.redis.command("EXISTS", f"keel:rl:default:ip:{ip}") == 1
    # Another client still has its own budget.
    with cluster.via_lb("127.0.0.9") as c:
        assert [c.get(PAGE).status_code for _ in range(2)] == [200, 200]


# --------------------------------------------------------------------------- login throttling


def test_failed_logins_on_both_replicas_lock_the_account_on_both(cluster):
    ip, secret, address = "127.0.0.5", password(), new_email("throttle")
    wrong = register_secret("definitely-not-it-" + secrets.token_hex(4))
    with cluster.direct(cluster.a, ip) as a, cluster.direct(cluster.b, ip) as b:
        assert a.post("/api/v1/auth/register", json={"email": address, "password": secret}).status_code == 201
        # Half the failures on each replica: neither alone reaches LOGIN_MAX_FAILURES.
        for i in range(LOGIN_MAX_FAILURES):
            failed = (a, b)[i % 2].post("/api/v1/auth/token", data={
                "grant_type": "password", "username": address, "password": wrong})
            assert failed.status_code == 400 and failed.json()["error"] == "invalid_grant", failed.text
        for replica in (a, b):
            blocked = replica.post("/api/v1/auth/token", data={
                "grant_type": "password", "username": address, "password": secret})
            assert_httpx_problem(blocked, 429, "rate_limited")
            assert int(blocked.headers["retry-after"]) > 0


# --------------------------------------------------------------------------- logout


def test_logout_on_one_replica_revokes_the_token_on_the_other(cluster):
    ip, secret, address = "127.0.0.4", password(), new_email("logout")
    with cluster.direct(cluster.a, ip) as a, cluster.direct(cluster.b, ip) as b:
        assert a.post("/api/v1/auth/register", json={"email": address, "password": secret}).status_code == 201
        login = a.post("/api/v1/auth/token", data={"grant_type": "password", "username": address,
                                                   "password": secret})
        assert login.status_code == 200, login.text
        tokens = login.json()
        me = b.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200 and me.json()["email"] == address, me.text  # B accepts A's token

        out = a.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]),
                     json={"refresh_token": tokens["refresh_token"]})
        assert out.status_code == 204, out.text
        assert_httpx_problem(b.get("/api/v1/users/me", headers=bearer(tokens["access_token"])), 401, "invalid_token")
        again = b.post("/api/v1/auth/token", data={"grant_type": "refresh_token",
                                                   "refresh_token": tokens["refresh_token"]})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text

        # The access token's id is on the denylist in Redis, which every replica reads.
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        key = f"keel:kv:denylist:{claims['jti']}"
        assert cluster.redis.command("EXISTS", key) == 1
        assert 0 < cluster.redis.command("PTTL", key) <= (claims["exp"] - claims["iat"] + 120) * 1000
        # The denylist alone keeps B closed: undo the session's revocation in the database...
        cluster.a.sql("UPDATE sessions SET revoked_at = NULL WHERE family_id = ?", (claims["sid"],))
        assert_httpx_problem(b.get("/api/v1/users/me", headers=bearer(tokens["access_token"])), 401, "invalid_token")
        # ...and only removing the Redis entry lets the token in again (nothing per-process kept it out).
        assert cluster.redis.command("DEL", key) == 1
        assert b.get("/api/v1/users/me", headers=bearer(tokens["access_token"])).status_code == 200


# --------------------------------------------------------------------------- jobs


def delivered(replica: KeelServer) -> float:
    """delivered is the replica's count of email jobs it ran successfully."""
    samples = parse_metrics(httpx.get(replica.url("/metrics"), timeout=5).text)
    return sum(s.value for s in find_samples(samples, "keel_jobs_runs_total", kind="email.send",
                                             outcome="succeeded"))


def test_jobs_queued_through_both_replicas_run_exactly_once(cluster):
    secret = password()
    addresses = [new_email("job") for _ in range(REGISTRATIONS)]
    with cluster.via_lb("127.0.0.6") as c:
        answers = [c.post("/api/v1/auth/register", json={"email": address, "password": secret})
                   for address in addresses]
    assert [r.status_code for r in answers] == [201] * REGISTRATIONS, [r.text[:200] for r in answers]
    served = Counter(cluster.lb.served_by(r.headers["x-request-id"]) for r in answers)
    assert served == {"a": REGISTRATIONS // 2, "b": REGISTRATIONS // 2}, served

    # Every verification mail of the whole module (other tests register too) arrives, once.
    def settled() -> bool:
        jobs = cluster.a.sql("SELECT state FROM jobs WHERE kind = ?", ("email.send",))
        return bool(jobs) and all(state == "succeeded" for (state,) in jobs) and \
            len(cluster.sink.received()) >= len(jobs)
    assert wait_for(settled, timeout=30), cluster.a.sql("SELECT state, attempts FROM jobs")
    time.sleep(0.5)  # a (wrong) second delivery would land now
    recipients = Counter(rcpt for envelope, _ in cluster.sink.received() for rcpt in envelope["rcpt_tos"])
    assert all(recipients[address] == 1 for address in addresses), [(a, recipients[a]) for a in addresses]
    assert all(count == 1 for count in recipients.values()), recipients.most_common(3)
    jobs = cluster.a.sql("SELECT state, attempts FROM jobs WHERE kind = ?", ("email.send",))
    assert len(jobs) == sum(recipients.values()), (len(jobs), recipients)
    assert all(attempts == 1 for _, attempts in jobs), jobs
    # Both runners took jobs from the one queue, and together ran each exactly once.
    runs = [delivered(replica) for replica in (cluster.a, cluster.b)]
    assert sum(runs) == len(jobs), runs
    assert all(r > 0 for r in runs), f"one replica ran every job: {runs}"
