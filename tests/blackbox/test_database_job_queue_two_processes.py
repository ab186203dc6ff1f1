"""Two keel processes on one database share the job queue and never run a job
twice (issue 8): 30 registrations, alternating between two servers on one database, queue
30 verification emails; the workers of both servers deliver them to a real SMTP sink — each exactly
once, each job succeeded at its first attempt. Runs on SQLite (blackbox.http)
and PostgreSQL (blackbox.postgres, where FOR UPDATE SKIP LOCKED is at work and
both processes must have taken part)."""

from __future__ import annotations

import base64
import secrets
from collections import Counter

import httpx

from keel_harness import (BLACKBOX_DIALECT, KeelServer, find_samples, free_port, parse_metrics, register_secret,
                          wait_for)
from test_email_smtp import SmtpSink

USERS = 30


def delivered(server: KeelServer) -> float:
    """delivered is the server's keel_jobs_runs_total for succeeded email jobs."""
    samples = parse_metrics(httpx.get(server.url("/metrics"), timeout=5).text)
    return sum(s.value for s in find_samples(samples, "keel_jobs_runs_total", kind="email.send",
                                             outcome="succeeded"))


def test_two_processes_deliver_every_queued_email_exactly_once(tmp_path):
    port = free_port()
    sink = SmtpSink(port, tmp_path / "mail")
    # Replicas share their data key (without one, each test process would seal with its own).
    key = register_secret(base64.b64encode(secrets.token_bytes(32)).decode())
    shared = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "JOB_WORKERS": "2", "RATE_LIMIT_AUTH_PER_MINUTE": "100000",
              "DATA_ENCRYPTION_KEYS": f"pair:{key}"}
    first = KeelServer(shared).start()
    second = KeelServer({**shared, "DATABASE_URL": first.env["DATABASE_URL"],
                         "SECRET_KEY": first.env["SECRET_KEY"]}).start()
    try:
        password = register_secret("".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(18)))
        addresses = [f"pair-{i}-{secrets.token_hex(3)}@example.com" for i in range(USERS)]
        # Registrations alternate between the processes; either one's workers may claim any job.
        for i, address in enumerate(addresses):
            server = (first, second)[i % 2]
            answer = httpx.post(server.url("/api/v1/auth/register"), json={"email": address, "password": password},
                                timeout=10)
            assert answer.status_code == 201, answer.text
        assert wait_for(lambda: len(sink.received()) >= USERS, timeout=60), len(sink.received())
        recipients = Counter(rcpt for envelope, _ in sink.received() for rcpt in envelope["rcpt_tos"])
        assert set(recipients) == set(addresses)
        assert all(count == 1 for count in recipients.values()), recipients.most_common(3)
        rows = second.sql("SELECT state, attempts FROM jobs WHERE kind = ?", ("email.send",))
        assert len(rows) == USERS
        assert all(state == "succeeded" and attempts == 1 for state, attempts in rows), rows[:3]
        # Each process counts the jobs it ran: together exactly one run per job.
        runs = [delivered(server) for server in (first, second)]
        assert sum(runs) == USERS, runs
        if BLACKBOX_DIALECT == "postgres":
            assert all(r > 0 for r in runs), f"one process ran every job: {runs}"
    finally:
        sink.stop()
        first.close()
        second.close()
