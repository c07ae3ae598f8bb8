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
# "fault_figures". The table is printed here, from the reports the terminal reporter holds, because the process that
# prints it always loads this conftest (with parallel workers the controller collects no test folder's own conftest,
# but it receives every worker's reports).
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = [r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, [])]
    rows = [
        figures
        for r in reports
        if getattr(r, "when", None) == "call" and (figures := dict(r.user_properties).get("fault_figures"))
    ]
    if not rows:
        return
    columns = [c for c in rows[0] if c != "test"]
    width = max(len(r["test"]) for r in rows)
    terminalreporter.section("fault injection: every accepted case, in every service")
    terminalreporter.write_line(f"{'test':<{width}}  " + "  ".join(f"{c:>10}" for c in columns))
    for r in rows:
        cells = "  ".join(f"{'-' if r.get(c) is None else r[c]!s:>10}" for c in columns)
        terminalreporter.write_line(f"{r['test']:<{width}}  {cells}")
