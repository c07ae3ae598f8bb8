#!/usr/bin/env python3
"""caseflow developer entry point; needs nothing but Python 3.11+.

    python3 dev.py run      # the whole system on its embedded default (broker + four services + demo data)
    python3 dev.py test     # static checks (ruff, mypy), then the test suite: what CI runs
    python3 dev.py lint     # only the static checks
    python3 dev.py setup    # only create/refresh the virtual environment in .venv (and the Debian tools of the tests)

`test` with extra arguments passes them to pytest and skips the static checks
(`python3 dev.py test services/dispatch -k routing`). Without them, the whole suite runs in
CASEFLOW_TEST_WORKERS parallel pytest workers (default 3; most tests wait on the broker, not the CPU), each
with its own broker and databases, a test module kept on one worker.

It creates .venv and installs the pinned dependencies (constraints.txt) on first use, and again whenever
constraints.txt or a pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PACKAGES = ["libs/common", "services/intake", "services/dispatch", "services/escalation", "services/audit"]
TEST_DEPS = [
    "pytest",
    "pytest-asyncio",
    "pytest-timeout",
    "pytest-xdist",
    "hypothesis",
    "schemathesis",
    "check-jsonschema",
    "ruff",
    "mypy",
    "types-pyyaml",
    "confluent-kafka",
    "playwright",
    "georeport",
    "three",
]
# Static checks, in order; each must pass (configuration: ruff.toml, mypy.ini).
LINT = [
    ["-m", "ruff", "check", "."],
    ["-m", "ruff", "format", "--check", "."],
    [
        "-m",
        "mypy",
        "libs/common/src",
        "services/intake/src",
        "services/dispatch/src",
        "services/escalation/src",
        "services/audit/src",
    ],
]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    h = hashlib.sha256()
    for rel in ["constraints.txt", *[f"{p}/pyproject.toml" for p in PACKAGES]]:
        h.update((ROOT / rel).read_bytes())
    return h.hexdigest()


def setup() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py itself runs on any python3 and says why it stops
        sys.exit("caseflow needs Python 3.11 or newer")
    py = venv_python()
    if not py.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = VENV / ".caseflow-installed"
    want = _fingerprint()
    if not stamp.exists() or stamp.read_text() != want:
        print("installing pinned dependencies into .venv ...", flush=True)
        pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip", "setuptools", "wheel"], check=True)
        editable = [a for p in PACKAGES for a in ("-e", str(ROOT / p))]
        subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), *editable, *TEST_DEPS], check=True)
        stamp.write_text(want)
    return py


# Debian packages the tests drive, each with the commands (on PATH) or files that show it is there: the deployment
# tests check the alert rules with promtool, scrape the stack with a real Prometheus and check the Alertmanager routing
# with amtool; the console test drives Debian's Chromium through
# Playwright (never a browser build of Playwright's own), with a CJK font so its screenshot shows the page's labels.
SYSTEM_PACKAGES = {
    "prometheus": ["promtool", "prometheus"],
    "prometheus-alertmanager": ["amtool"],
    "chromium": ["/usr/bin/chromium"],
    "fonts-wqy-zenhei": ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"],
}


def system_tools() -> None:
    """Installs the missing SYSTEM_PACKAGES once where we are root with apt; otherwise the tests that need them say
    how (and fail in CI)."""

    def present(thing: str) -> bool:
        return Path(thing).exists() if "/" in thing else shutil.which(thing) is not None

    missing = [pkg for pkg, things in SYSTEM_PACKAGES.items() if not all(map(present, things))]
    if not missing:
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing Debian's {', '.join(missing)} for the tests ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, **quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=False, env=env, **quiet
        )
    else:
        print(
            f"note: {', '.join(missing)} not found and cannot be installed here (needs root + apt-get); "
            "the tests that need them will skip or fail",
            flush=True,
        )


def lint(py: Path) -> int:
    for args in LINT:
        print("$", "python", *args, flush=True)
        code = subprocess.run([str(py), *args], cwd=ROOT).returncode
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    cmd, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if cmd not in {"run", "test", "lint", "setup"}:
        print(__doc__)
        return 2
    py = setup()
    os.chdir(ROOT)
    if cmd in {"setup", "test"}:
        system_tools()
    if cmd == "setup":
        return 0
    if cmd == "lint" or (cmd == "test" and not rest):
        code = lint(py)
        if code or cmd == "lint":
            return code
    module = "caseflow_common.devstack" if cmd == "run" else "pytest"
    if cmd == "test" and not rest:
        rest = ["-n", os.environ.get("CASEFLOW_TEST_WORKERS", "3"), "--dist", "loadscope"]
    child = subprocess.Popen([str(py), "-m", module, *rest])
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue  # Ctrl-C reaches the child too; it stops everything it started, then we return its code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
