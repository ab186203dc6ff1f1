"""Encryption at rest (issue 8, docs/encryption.md): email job payloads are sealed with DATA_ENCRYPTION_KEYS.

One story, in order, on one database:
1. With JOB_WORKERS=0 the emails stay queued: the jobs table holds sealed variables
   ("v1.<kid>.…"), never the token, the name or the URL.
2. `keel rotate-keys` with a new key first re-seals every pending email under it.
3. A configuration lacking a key the stored data needs (or with other bytes under the same
   id) is refused at `keel serve` start with exit 78 and a message naming the key id.
4. With only the new key and a worker, the mail arrives with a token that resets the
   password: plaintext through the normal path. A payload whose recipient was edited in the
   database does not decrypt (the row is bound into the ciphertext) and its job dies.
"""

from __future__ import annotations

import base64
import json
import os
import secrets

import httpx

from keel_harness import KeelServer, register_secret, run_cli, wait_for
from test_auth import mails_to, new_email, register, strong_password, token_in, wait_mail

SERVE_TIMEOUT = 20.0


def new_key(kid: str) -> str:
    """new_key is one DATA_ENCRYPTION_KEYS entry, kid:base64(32 random bytes), registered as a secret."""
    material = base64.b64encode(secrets.token_bytes(32)).decode()
    register_secret(material)
    return f"{kid}:{material}"


def email_jobs(srv: KeelServer) -> dict[str, tuple[dict, str, str]]:
    """email_jobs maps job id → (payload, raw payload text, state) for every email.send job."""
    rows = srv.sql("SELECT id, payload, state FROM jobs WHERE kind = 'email.send' ORDER BY id")
    return {job_id: (json.loads(payload), payload, state) for job_id, payload, state in rows}


def sealed_kids(srv: KeelServer) -> set[str]:
    return {payload["sealed_variables"].split(".")[1] for payload, _, _ in email_jobs(srv).values()}


def restarted(first: KeelServer, overrides: dict[str, str]) -> KeelServer:
    """restarted is a server on the same database, secret key and outbox as `first`, with `overrides`."""
    env = {key: first.env[key] for key in ("DATABASE_URL", "SECRET_KEY", "OUTBOX_DIR")}
    env["RATE_LIMIT_AUTH_PER_MINUTE"] = "100000"
    env.update(overrides)
    return KeelServer(env)


def refused_serve(env: dict[str, str], cwd: str) -> tuple[int, str]:
    """refused_serve runs `keel serve` that must exit on its own; returns (exit code, stderr)."""
    proc = run_cli(["serve"], env, cwd=cwd, timeout=SERVE_TIMEOUT)
    return proc.returncode, proc.stderr


def test_email_payloads_are_sealed_rotated_checked_and_delivered():
    old_key, new_key_entry, other_key = new_key("2026-05"), new_key("2026-11"), new_key("stray")
    first = KeelServer({"DATA_ENCRYPTION_KEYS": old_key, "JOB_WORKERS": "0",
                        "RATE_LIMIT_AUTH_PER_MINUTE": "100000"})
    first.env["OUTBOX_DIR"] = os.path.join(first.tmp, "outbox")
    first.start()
    full_name = "Ada Sealedname " + secrets.token_hex(4)
    with httpx.Client(base_url=first.base_url, timeout=10.0) as c:
        resp, victim, _ = register(c, full_name=full_name)
        assert resp.status_code == 201, resp.text
        assert c.post("/api/v1/auth/password-recovery", json={"email": victim}).status_code == 202
        resp, redirected, _ = register(c)
        assert resp.status_code == 201, resp.text

    # 1. Ciphertext in the database.
    jobs = email_jobs(first)
    assert len(jobs) == 3, jobs  # two verify_email, one password_reset
    stored_texts = [raw for _, raw, _ in jobs.values()]
    for payload, raw, state in jobs.values():
        assert state == "queued"
        assert set(payload) == {"template", "to", "payload_id", "sealed_variables"}, payload
        assert payload["sealed_variables"].startswith("v1.2026-05."), payload
        assert full_name not in raw and "reset-password?token" not in raw and "verify-email" not in raw, raw
    assert first.stop() == 0

    # 2. Rotation: the new key first, the old one second.
    rotation_env = restarted(first, {"DATA_ENCRYPTION_KEYS": f"{new_key_entry},{old_key}"}).env
    rotated = run_cli(["rotate-keys"], rotation_env, cwd=first.tmp)
    assert rotated.returncode == 0, rotated.stderr
    lines = [json.loads(line) for line in rotated.stdout.splitlines()]
    assert lines[0] == {"webhook_secrets": {"scanned": 0, "resealed": 0, "already_current": 0, "unreadable": 0}}
    lines = lines[1:]
    assert lines[-1] == {"scanned": 3, "resealed": 3, "already_current": 0, "unreadable": 0, "done": True,
                         "current_key_id": "2026-11"}, lines
    assert lines[0]["batch"] == 1 and lines[0]["resealed"] == 3, lines
    assert sealed_kids(first) == {"2026-11"}
    again = run_cli(["rotate-keys"], rotation_env, cwd=first.tmp)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["already_current"] == 3

    # 3. A key the stored data needs is missing, or has other bytes: a clear start-up error.
    code, stderr = refused_serve(restarted(first, {"DATA_ENCRYPTION_KEYS": other_key}).env, first.tmp)
    assert code == 78, stderr
    assert "DATA_ENCRYPTION_KEYS lacks key id '2026-11' that encrypts stored data" in stderr, stderr
    impostor = "2026-11:" + other_key.split(":", 1)[1]
    code, stderr = refused_serve(restarted(first, {"DATA_ENCRYPTION_KEYS": impostor}).env, first.tmp)
    assert code == 78, stderr
    assert "key id '2026-11' does not decrypt the data stored under that id" in stderr, stderr
    assert other_key.split(":", 1)[1] not in stderr

    # A payload whose recipient is edited in the database no longer opens.
    attacker = new_email("attacker")
    redirected_id = next(job_id for job_id, (payload, _, _) in email_jobs(first).items()
                         if payload["to"] == redirected)
    row = email_jobs(first)[redirected_id][0]
    row["to"] = attacker
    first.sql("UPDATE jobs SET payload = ? WHERE id = ?", (json.dumps(row), redirected_id))

    # 4. Only the new key, one worker: plaintext through the normal path, the old key is not needed.
    second = restarted(first, {"DATA_ENCRYPTION_KEYS": new_key_entry, "JOB_WORKERS": "1"}).start()
    try:
        token = token_in(wait_mail(second, victim, "reset"))
        assert all(token not in text for text in stored_texts)
        verify = wait_mail(second, victim, "confirm")
        assert full_name in verify.get_body(preferencelist=("plain",)).get_content()
        with httpx.Client(base_url=second.base_url, timeout=10.0) as c:
            done = c.post("/api/v1/auth/reset-password", json={"token": token, "new_password": strong_password()})
            assert done.status_code == 204, done.text

        def dead_redirect():
            rows = second.sql("SELECT state, last_error FROM jobs WHERE id = ?", (redirected_id,))
            return rows if rows and rows[0][0] == "dead" else None

        dead = wait_for(dead_redirect, 10.0, 0.1)
        assert dead == [("dead", "payload cannot be decrypted: unknown key or tampered")], dead
        assert mails_to(second, attacker) == [] and mails_to(second, redirected) == []
    finally:
        second.close()
        first.close()
