"""The database commands of the real `keel` binary: migrate, backup, restore.

Runs the binary named by KEEL_BINARY with nothing but PATH, HOME and
DATABASE_URL in its environment. stdout is a pipe, so every command must print
exactly one JSON line. The PostgreSQL cases need KEEL_TEST_POSTGRES_URL (ctest
runs this file under tests/support/postgres.sh run …) and use psql from
postgresql-client to set up and inspect databases, never keel itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid

import pytest

KEEL_BINARY = os.environ.get("KEEL_BINARY", "/work/main/build/lead/keel")
POSTGRES_URL = os.environ.get("KEEL_TEST_POSTGRES_URL", "")

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="KEEL_TEST_POSTGRES_URL is not set")


def keel(args: list[str], database_url: str, cwd: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """keel runs one command with a clean environment and captured output."""
    if not (os.path.isfile(KEEL_BINARY) and os.access(KEEL_BINARY, os.X_OK)):
        pytest.fail(f"keel binary not found: {KEEL_BINARY} (set KEEL_BINARY)")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "DATABASE_URL": database_url}
    return subprocess.run([KEEL_BINARY, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def json_line(result: subprocess.CompletedProcess) -> dict:
    """json_line parses the single JSON line a command prints when stdout is not a terminal."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {result.stdout!r} (stderr {result.stderr!r})"
    return json.loads(lines[0])


def psql(url: str, sql: str) -> list[list[str]]:
    """psql runs SQL with psql and returns the rows as lists of strings."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", url,
                          "-c", sql], capture_output=True, text=True, check=True, timeout=30)
    return [line.split("\x1f") for line in out.stdout.splitlines() if line]


def with_database(url: str, name: str) -> str:
    """with_database returns `url` pointing at database `name`."""
    scheme, rest = url.split("://", 1)
    authority, _, tail = rest.partition("/")
    query = tail.partition("?")[2]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def postgres_database():
    """postgres_database is an empty PostgreSQL database for one test."""
    name = "keel_cli_" + uuid.uuid4().hex[:12]
    psql(POSTGRES_URL, f"CREATE DATABASE {name}")
    yield with_database(POSTGRES_URL, name)
    psql(POSTGRES_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_sqlite_migrate_status_up_down(tmp_path):
    url = "sqlite:///./data/keel.db"  # relative to the working directory; data/ is created
    status = keel(["migrate", "status"], url, str(tmp_path))
    assert status.returncode == 0, status.stdout + status.stderr
    report = json_line(status)
    assert report["state"] == "behind" and report["version"] == 0 and report["pending"]

    up = keel(["migrate", "up"], url, str(tmp_path))
    assert up.returncode == 0, up.stdout + up.stderr
    applied = json_line(up)
    assert applied["ok"] is True and applied["applied"] == [m["version"] for m in report["pending"]]
    assert (tmp_path / "data" / "keel.db").is_file()
    assert json_line(keel(["migrate", "status"], url, str(tmp_path)))["state"] == "at_head"

    down = keel(["migrate", "down", "1"], url, str(tmp_path))
    assert down.returncode == 0, down.stdout + down.stderr
    assert json_line(down)["rolled_back"] == [applied["version"]]


def test_sqlite_edited_migration_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/keel.db"  # sqlite:////abs/path.db
    assert keel(["migrate", "up"], url, str(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "keel.db") as db:
        db.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    result = keel(["migrate", "up"], url, str(tmp_path))
    assert result.returncode == 65
    report = json_line(result)
    assert report["ok"] is False and "0001_" in report["error"] and "edited" in report["error"]


def test_sqlite_backup_destroy_restore_compares_every_row(tmp_path):
    db_file = tmp_path / "keel.db"
    url = f"sqlite:///{db_file}"
    assert keel(["migrate", "up"], url, str(tmp_path)).returncode == 0
    with sqlite3.connect(db_file) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, data BLOB)")
        db.executemany("INSERT INTO notes VALUES (?, ?, ?)",
                       [(i, None if i % 5 == 0 else f"note {i} ✓", bytes([i % 256, 0, 255])) for i in range(1, 301)])

    def dump() -> dict[str, list[tuple]]:
        with sqlite3.connect(db_file) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}

    before = dump()
    backup_path = tmp_path / "backups" / "keel.bak"
    result = keel(["backup", str(backup_path)], url, str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json_line(result)["ok"] is True and backup_path.is_file()

    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"keel.db{suffix}").unlink(missing_ok=True)
    refused = keel(["restore", str(backup_path)], url, str(tmp_path))
    assert refused.returncode == 64 and "--yes" in json_line(refused)["error"]
    restored = keel(["restore", str(backup_path), "--yes"], url, str(tmp_path))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert dump() == before


@needs_postgres
def test_postgres_two_concurrent_migrate_ups_apply_once(tmp_path, postgres_database):
    env_url = postgres_database
    procs = [subprocess.Popen([KEEL_BINARY, "migrate", "up"], cwd=str(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp",
                                   "DATABASE_URL": env_url})
             for _ in range(2)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    reports = []
    for out, err, code in results:
        assert code == 0, out + err
        reports.append(json.loads(out.strip()))
    applied = sorted(reports[0]["applied"] + reports[1]["applied"])
    rows = psql(env_url, "SELECT version FROM schema_migrations ORDER BY version")
    assert applied == [int(r[0]) for r in rows], "each version applied exactly once"
    assert len(set(applied)) == len(applied)


@needs_postgres
def test_postgres_backup_destroy_restore_compares_every_row(tmp_path, postgres_database):
    url = postgres_database
    assert keel(["migrate", "up"], url, str(tmp_path)).returncode == 0
    psql(url, "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, data BYTEA); "
              "INSERT INTO notes SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g || ' ✓' END, "
              "decode(lpad(to_hex(g % 256), 2, '0') || '00ff', 'hex') FROM generate_series(1, 300) g")

    def dump() -> dict[str, list[list[str]]]:
        tables = [r[0] for r in psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                          "ORDER BY tablename")]
        return {t: sorted(psql(url, f'SELECT * FROM "{t}"')) for t in tables}

    before = dump()
    assert before["notes"] and before["keel_meta"]
    backup_path = tmp_path / "keel.dump"
    result = keel(["backup", str(backup_path)], url, str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert backup_path.is_file()

    psql(url, "DROP TABLE notes; DROP TABLE keel_meta; DELETE FROM schema_migrations")
    assert "notes" not in dump()
    restored = keel(["restore", str(backup_path), "--yes"], url, str(tmp_path))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert dump() == before


def test_unreachable_database_exits_69_without_the_password(tmp_path):
    url = "postgresql://keel:hunter2-cli-secret@127.0.0.1:1/keel?sslmode=disable"
    result = keel(["migrate", "status"], url, str(tmp_path))
    assert result.returncode == 69
    assert json_line(result)["kind"] == "unavailable"
    assert "hunter2-cli-secret" not in result.stdout + result.stderr
