"""Every query the service makes uses an index (SPEC §8): `keel explain-queries`
plans the whole statement catalog against a migrated database and fails on a
full table scan that its statement did not declare. Runs on SQLite in
blackbox.http and on PostgreSQL in blackbox.postgres (KeelServer picks the
database)."""

from __future__ import annotations

import re

from keel_harness import KeelServer, run_cli


def test_every_registered_query_is_planned_without_undeclared_full_scans():
    server = KeelServer()  # not started: only its environment (and fresh database) is used
    migrate = run_cli(["migrate", "up"], server.env, cwd=server.tmp)
    assert migrate.returncode == 0, migrate.stderr
    result = run_cli(["explain-queries"], server.env, cwd=server.tmp, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"^(\d+) statements planned on (sqlite|postgresql)$", result.stdout, re.M)
    assert match, result.stdout
    # identity, items, attachments, API keys, admin, audit and jobs all register their statements
    assert int(match.group(1)) >= 40, result.stdout


def test_explain_queries_fails_on_an_unmigrated_database():
    server = KeelServer()
    result = run_cli(["explain-queries"], server.env, cwd=server.tmp, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "terminate called" not in result.stderr
