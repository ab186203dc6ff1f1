"""Shared helpers of the deployment checks (tests/deploy).

The nginx test reuses the black-box suite's KeelServer (tests/blackbox/keel_harness.py):
the same binary (KEEL_BINARY), the same clean environment and JSON log reader.
"""

from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "deploy")
sys.path.insert(0, os.path.join(REPO, "tests", "blackbox"))
