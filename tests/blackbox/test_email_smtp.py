"""Email through a real SMTP server (issue 8): the server delivers its mail
through the job queue to SMTP_URL; a mail server that is down delays the mail
(the job retries with backoff) but never fails or slows the request.

The SMTP server is tests/support/smtp_sink.py (Debian's python3-aiosmtpd),
started here on a free port; it stores each message as <n>.eml + <n>.json.
"""

from __future__ import annotations

import email
import email.policy
import json
import secrets
import subprocess
import time
from pathlib import Path

import httpx

from keel_harness import KeelServer, free_port, register_secret, run_cli, wait_for

SINK = Path(__file__).resolve().parents[1] / "support" / "smtp_sink.py"


class SmtpSink:
    """SmtpSink is one smtp_sink.py process on `port`, storing mail in `directory`."""

    def __init__(self, port: int, directory: Path):
        self.port, self.directory = port, directory
        directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(["/usr/bin/python3", str(SINK), "--port", str(port), "--dir", str(directory)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def received(self) -> list[tuple[dict, email.message.EmailMessage]]:
        out = []
        for sidecar in sorted(self.directory.glob("*.json"), key=lambda p: int(p.stem)):
            envelope = json.loads(sidecar.read_text())
            message = email.message_from_bytes(sidecar.with_suffix(".eml").read_bytes(), policy=email.policy.default)
            out.append((envelope, message))
        return out


def jobs(server: KeelServer) -> list[dict]:
    listed = run_cli(["jobs", "list"], server.env, cwd=server.tmp)
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]


def test_mail_goes_through_smtp_and_survives_a_mail_server_outage(tmp_path):
    port = free_port()
    sink = SmtpSink(port, tmp_path / "mail")
    server = KeelServer({"SMTP_URL": f"smtp://127.0.0.1:{port}", "EMAIL_FROM": "Keel <no-reply@keel.test>",
                         "JOB_WORKERS": "1"}).start()
    try:
        address = f"smtp-{secrets.token_hex(4)}@example.com"
        password = register_secret("".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(18)))
        assert httpx.post(server.url("/api/v1/auth/register"),
                          json={"email": address, "password": password}, timeout=10).status_code == 201
        assert wait_for(lambda: len(sink.received()) >= 1, timeout=15), "the verification mail never arrived"
        envelope, message = sink.received()[0]
        assert envelope["mail_from"] == "no-reply@keel.test" and envelope["rcpt_tos"] == [address]
        assert message["From"].addresses[0].addr_spec == "no-reply@keel.test"
        assert message["Message-ID"] and message["Date"]
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None

        # The mail server goes down: the request still answers at once; the job waits and retries.
        sink.stop()
        started = time.monotonic()
        recovery = httpx.post(server.url("/api/v1/auth/password-recovery"), json={"email": address}, timeout=10)
        assert recovery.status_code == 202
        assert time.monotonic() - started < 2.0
        retried = wait_for(lambda: [j for j in jobs(server) if j["kind"] == "email.send" and j["state"] == "queued"
                                    and j["attempts"] >= 1], timeout=15)
        assert retried, jobs(server)
        assert retried[0]["last_error"], "a failed attempt records why (without secrets)"

        # Back up: the retried job delivers the reset mail.
        sink = SmtpSink(port, tmp_path / "mail-after")
        assert wait_for(lambda: len(sink.received()) >= 1, timeout=30), jobs(server)
        _, reset = sink.received()[0]
        assert "reset" in str(reset["Subject"]).lower()
    finally:
        if sink.proc.poll() is None:
            sink.stop()
        server.close()
