#!/usr/bin/python3
"""A real SMTP server for tests: stores every message it accepts in a folder.

    python3 tests/support/smtp_sink.py --port 2525 --dir /tmp/mail \
        [--starttls CERT KEY] [--implicit-tls CERT KEY] [--auth USER:PASS] [--reject-rcpt ADDRESS]

Each accepted message becomes D/<n>.eml (the DATA bytes exactly as received,
after SMTP dot-unstuffing; n counts from 1) and D/<n>.json, the envelope:
{"mail_from": ..., "rcpt_tos": [...], "auth_user": ... or null, "tls": bool}.
The .json is written last and atomically, so a reader that sees it can read both.

--starttls offers STARTTLS and requires it before MAIL (a client that does not
upgrade is refused); --implicit-tls speaks TLS from the first byte (smtps://).
--auth requires AUTH PLAIN/LOGIN with exactly these credentials before MAIL (over
TLS when TLS is configured, in clear otherwise, which only a loopback test should do).
--reject-rcpt answers 550 to RCPT TO for that address (permanent failures).

Prints "ready" on stdout once it accepts connections; exits 0 on SIGTERM/SIGINT.
Uses Debian's python3-aiosmtpd (scripts/setup installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SinkHandler:
    """SinkHandler writes each message and its envelope to `directory`."""

    def __init__(self, directory: Path, reject_rcpt: str | None) -> None:
        self.directory = directory
        self.reject_rcpt = reject_rcpt
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.reject_rcpt is not None and address.lower() == self.reject_rcpt.lower():
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.count += 1
            n = self.count
        (self.directory / f"{n}.eml").write_bytes(envelope.original_content)
        auth = session.auth_data
        sidecar = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
        }
        tmp = self.directory / f".{n}.json.tmp"
        tmp.write_text(json.dumps(sidecar))
        os.replace(tmp, self.directory / f"{n}.json")
        return "250 Message accepted"


def make_authenticator(expected: str):
    """make_authenticator accepts exactly USER:PASS (split at the first colon)."""
    user, _, password = expected.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASS")
    parser.add_argument("--reject-rcpt", metavar="ADDRESS")
    args = parser.parse_args()
    if args.starttls and args.implicit_tls:
        parser.error("--starttls and --implicit-tls exclude each other")
    args.dir.mkdir(parents=True, exist_ok=True)

    smtp_options: dict = {"server_hostname": "smtp-sink.test"}
    if args.starttls:
        smtp_options.update(tls_context=tls_context(*args.starttls), require_starttls=True)
    if args.auth:
        smtp_options.update(
            authenticator=make_authenticator(args.auth),
            auth_required=True,
            # aiosmtpd only counts STARTTLS as TLS; an implicit-TLS connection is encrypted anyway.
            auth_require_tls=bool(args.starttls),
        )
    controller = Controller(
        SinkHandler(args.dir, args.reject_rcpt),
        hostname=args.host,
        port=args.port,
        ssl_context=tls_context(*args.implicit_tls) if args.implicit_tls else None,
        **smtp_options,
    )
    controller.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(0.5):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
