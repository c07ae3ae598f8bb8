"""Root conftest: the shared fixtures (real broker, real databases, service harnesses) live in caseflow_common.testing."""

from typing import Any

import pytest
from hypothesis import settings

pytest_plugins = ["caseflow_common.testing"]

# Property-based tests explore the same examples on every run (a CI failure reproduces locally) and never fail on
# timing: a slow, shared 2-core machine is not a bug.
settings.register_profile("caseflow", derandomize=True, deadline=None, database=None)
settings.load_profile("caseflow")


# The fault suite's table (tests/faults): each fault test puts its figures in its report as the property
# "fault_figures"; the table is printed here because the process that prints it always loads this conftest (with
# parallel workers the controller collects no test folder's own conftest).
_ROWS = pytest.StashKey[list[dict[str, Any]]]()
_CONFIG: list[pytest.Config] = []  # the running session's config (pytest_runtest_logreport is given none)


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Runs where the summary is printed: in the one pytest process or, with parallel workers (xdist), in the
    controller that receives the workers' reports."""
    figures = dict(report.user_properties).get("fault_figures")
    if report.when == "call" and figures and _CONFIG:
        _CONFIG[0].stash.setdefault(_ROWS, []).append(figures)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rows = config.stash.get(_ROWS, [])
    if not rows:
        return
    columns = [c for c in rows[0] if c != "test"]
    width = max(len(r["test"]) for r in rows)
    terminalreporter.section("fault injection: every accepted case, in every service")
    terminalreporter.write_line(f"{'test':<{width}}  " + "  ".join(f"{c:>10}" for c in columns))
    for r in rows:
        cells = "  ".join(f"{'-' if r.get(c) is None else r[c]!s:>10}" for c in columns)
        terminalreporter.write_line(f"{r['test']:<{width}}  {cells}")
