"""Shared helpers of the deployment checks (tests/deploy).

The nginx test reuses the black-box suite's KeelServer (tests/blackbox/keel_harness.py):
the same binary (KEEL_BINARY), the same clean environment and JSON log reader.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "deploy")
sys.path.insert(0, os.path.join(REPO, "tests", "blackbox"))


def nginx_command(nginx: str, tmp: str, error_log: str, site_file: str, http_preamble: str = "") -> list[str]:
    """nginx_command writes tmp/nginx.conf (one worker in the foreground; pid and temp paths
    under tmp; `http_preamble` then `site_file` inside http {}), checks it with `nginx -t`
    and returns the command line that runs it."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp_paths = "".join(f"  {kind}_temp_path {tmp}/{kind}_temp;\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
                f"error_log {error_log} info;\nevents {{ worker_connections 256; }}\n"
                f"http {{\n{http_preamble}{temp_paths}  include {site_file};\n}}\n")
    args = [nginx, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"), "-e", error_log]
    check = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t failed:\n{check.stderr}"
    return args
