"""The command line (SPEC §3 startup validation, §7 commands)."""

from __future__ import annotations

import os
import re

import pytest

from keel_harness import free_port, register_secret, run_cli

EX_CONFIG = 78
TEST_SECRET_KEY = register_secret("cli-test-SecretKey-0123456789abcdefXYZ")


def base_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        "APP_ENV": "test",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
        "WORKERS": "2",
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    env.update(overrides)
    return env


def output(result) -> str:
    return (result.stdout or "") + (result.stderr or "")


def assert_no_crash(result) -> None:
    text = output(result)
    for needle in ("terminate called", "what():", "Traceback", "Segmentation", "Aborted"):
        assert needle not in text, f"crash-like output: {text}"


def lines_naming(text: str, name: str) -> list[str]:
    pattern = re.compile(rf"(?<![A-Z_]){re.escape(name)}(?![A-Z_])")
    return [line for line in text.splitlines() if pattern.search(line)]


def test_version(tmp_path):
    result = run_cli(["version"], base_env(tmp_path), cwd=str(tmp_path))
    assert result.returncode == 0, output(result)
    assert re.search(r"\bkeel\b.*\b\d+\.\d+\.\d+\b", result.stdout), result.stdout
    assert "0.1.0" in result.stdout, result.stdout


def test_help_lists_commands(tmp_path):
    result = run_cli(["--help"], base_env(tmp_path), cwd=str(tmp_path))
    assert result.returncode == 0, output(result)
    for command in ("serve", "migrate", "check-config", "version"):
        assert command in result.stdout, f"{command} missing from --help:\n{result.stdout}"


@pytest.mark.parametrize("args", [["serve", "--help"], ["migrate", "--help"], ["check-config", "--help"],
                                  ["version", "--help"]], ids=lambda a: a[0])
def test_help_everywhere(tmp_path, args):
    result = run_cli(args, base_env(tmp_path), cwd=str(tmp_path))
    assert result.returncode == 0, output(result)
    assert result.stdout.strip(), "help printed nothing"
    assert not os.path.exists(tmp_path / "cli.db"), "--help must not touch the database"


def test_unknown_command_fails(tmp_path):
    result = run_cli(["no-such-command"], base_env(tmp_path), cwd=str(tmp_path), timeout=10)
    assert result.returncode != 0
    assert_no_crash(result)


def test_migrate_up_creates_database_and_is_idempotent(tmp_path):
    db = tmp_path / "fresh.db"
    env = base_env(tmp_path, DATABASE_URL=f"sqlite:///{db}")
    assert not db.exists()
    first = run_cli(["migrate", "up"], env, cwd=str(tmp_path))
    assert first.returncode == 0, output(first)
    assert db.exists() and db.stat().st_size > 0
    second = run_cli(["migrate", "up"], env, cwd=str(tmp_path))
    assert second.returncode == 0, output(second)
    status = run_cli(["migrate", "status"], env, cwd=str(tmp_path))
    assert status.returncode == 0, output(status)


def test_bad_port_exits_78_naming_it(tmp_path):
    result = run_cli(["serve"], base_env(tmp_path, PORT="abc"), cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    assert lines_naming(result.stderr, "PORT"), f"stderr does not name PORT:\n{result.stderr}"
    assert_no_crash(result)


def test_two_bad_values_are_both_reported_one_line_each(tmp_path):
    result = run_cli(["serve"], base_env(tmp_path, PORT="abc", WORKERS="0"), cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    port_lines = lines_naming(result.stderr, "PORT")
    worker_lines = lines_naming(result.stderr, "WORKERS")
    assert port_lines and worker_lines, result.stderr
    assert set(port_lines).isdisjoint(worker_lines), f"problems not on separate lines:\n{result.stderr}"
    assert_no_crash(result)


@pytest.mark.parametrize("name,value", [("PORT", "70000"), ("WORKERS", "-3"), ("LOG_LEVEL", "loud"),
                                        ("LOG_FORMAT", "xml"), ("MAX_BODY_BYTES", "lots"),
                                        ("APP_ENV", "moon")])
def test_other_bad_values_exit_78(tmp_path, name, value):
    result = run_cli(["serve"], base_env(tmp_path, **{name: value}), cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    assert lines_naming(output(result), name), output(result)
    assert_no_crash(result)


def test_production_placeholder_secret_refused_without_leaking(tmp_path):
    secret = register_secret("changeme-SuperSecretValue-1234567890abcdef")
    result = run_cli(["serve"], base_env(tmp_path, APP_ENV="production", SECRET_KEY=secret),
                     cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    assert "SuperSecretValue" not in result.stdout and "SuperSecretValue" not in result.stderr
    assert lines_naming(output(result), "SECRET_KEY"), output(result)
    assert_no_crash(result)


def test_unsupported_database_url_hides_password(tmp_path):
    result = run_cli(["serve"], base_env(tmp_path, DATABASE_URL="mysql://u:HiddenPw@h/db"),
                     cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    assert lines_naming(output(result), "DATABASE_URL"), output(result)
    assert "HiddenPw" not in output(result)
    assert_no_crash(result)


def test_check_config_in_test_env_passes(tmp_path):
    result = run_cli(["check-config"], base_env(tmp_path), cwd=str(tmp_path), timeout=10)
    assert result.returncode == 0, output(result)
    rules = [l for l in result.stdout.splitlines() if re.search(r"\b(PASS|WARN|FAIL)\b", l)]
    assert len(rules) >= 3, f"expected one PASS/WARN/FAIL line per rule:\n{result.stdout}"
    assert TEST_SECRET_KEY not in output(result)
    assert not os.path.exists(tmp_path / "cli.db"), "check-config must not create the database"


def test_check_config_production_weak_settings_fail(tmp_path):
    weak = register_secret("short-Weak-Key")
    env = base_env(tmp_path, APP_ENV="production", SECRET_KEY=weak, DEBUG="true", CORS_ORIGINS="*",
                   DATABASE_URL="postgresql://u:PgHiddenPw@db.example.com:5432/app")
    result = run_cli(["check-config"], env, cwd=str(tmp_path), timeout=10)
    assert result.returncode == EX_CONFIG, output(result)
    fails = [l for l in result.stdout.splitlines() if re.search(r"\bFAIL\b", l)]
    assert fails, f"no FAIL lines:\n{output(result)}"
    fail_text = "\n".join(fails)
    for name in ("SECRET_KEY", "DEBUG", "CORS_ORIGINS", "DATABASE_URL"):
        assert name in fail_text, f"no FAIL line names {name}:\n{result.stdout}"
    assert weak not in output(result)
    assert "PgHiddenPw" not in output(result)
    assert_no_crash(result)
