"""The README's run command, end to end: broker + four service processes + demo data, one case through."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from caseflow_common.devstack import SERVICE_NAMES, port_free
from caseflow_common.testing import REPO, free_port


def _free_port_base() -> int:
    for _ in range(50):
        base = random.randrange(20000, 40000, 10)
        if all(port_free("127.0.0.1", base + 1 + i) for i in range(len(SERVICE_NAMES))):
            return base
    raise RuntimeError("no free port range")


def test_the_embedded_default_starts_everything_and_a_hotline_case_reaches_audit_dispatched(tmp_path):
    var = tmp_path / "var"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "caseflow_common.devstack",
            "--check",
            "--root",
            str(REPO),
            "--var",
            str(var),
            "--port-base",
            str(_free_port_base()),
            "--broker-port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, (
        proc.stdout
        + proc.stderr
        + "".join((var / f"{n}.log").read_text()[-3000:] for n in SERVICE_NAMES if (var / f"{n}.log").exists())
    )
    assert "check passed" in proc.stdout
    tokens = json.loads((var / "dev-tokens.json").read_text())
    assert {"hotline", "grid", "supervisor", "admin", "ops", "departments", "coordination"} <= tokens.keys()
    assert "GZ-PA" in tokens["coordination"] and "GZ-TH-GA" in tokens["departments"]
    # intake's keys were made for this checkout, kept private, and the Open311 key the check used is the one written.
    made = json.loads((var / "keys" / "intake.json").read_text())
    assert list(made["open311_api_keys"]) == [tokens["open311_api_key"]]
    assert (var / "keys" / "intake.json").stat().st_mode & 0o077 == 0
    assert all((var / f"{n}.db").exists() for n in SERVICE_NAMES)
