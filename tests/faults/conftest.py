"""Fixtures of the fault-injection tests (helpers: stack.py and checks.py, importable from the tests of this folder).

Every test reports its figures (sent / accepted / lost / doubled / stuck / recovery seconds) as junit properties and
in a table at the end of the pytest run, with or without ``-s``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checks import Figures
from stack import FaultStack

from caseflow_common.testing import TEST_SETTINGS, _postgres_reachable

_ROWS = pytest.StashKey[list[dict[str, Any]]]()
COLUMNS = ("sent", "accepted", "lost", "doubled", "stuck", "recovery_s")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect each fault test's row from its report's properties: this runs where the summary is printed, in the
    one pytest process or, with parallel workers (xdist), in the controller that receives the workers' reports."""
    props = dict(report.user_properties)
    if report.when != "call" or "fault_test" not in props:
        return
    if _CONFIG:
        _CONFIG[0].stash.setdefault(_ROWS, []).append({"test": props["fault_test"], **{c: props[c] for c in COLUMNS}})


_CONFIG: list[pytest.Config] = []  # the running session's config (the hook above is given none)


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rows = config.stash.get(_ROWS, [])
    if not rows:
        return
    width = max(len(r["test"]) for r in rows)
    terminalreporter.section("fault injection: every accepted case, in every service")
    terminalreporter.write_line(f"{'test':<{width}}  " + "  ".join(f"{c:>10}" for c in COLUMNS))
    for r in rows:
        cells = "  ".join(f"{'-' if r[c] is None else r[c]!s:>10}" for c in COLUMNS)
        terminalreporter.write_line(f"{r['test']:<{width}}  {cells}")


@pytest.fixture
def fault_report(record_property: Callable[[str, Any], None]) -> Callable[[Figures], None]:
    """Record a test's figures: junit properties now, a row of the summary table at the end of the run."""

    def report(figures: Figures) -> None:
        row = figures.row()
        record_property("fault_test", row["test"])
        for key in COLUMNS:
            record_property(key, row[key])

    return report


@pytest_asyncio.fixture
async def make_stack(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[FaultStack]]]:
    """Start whole stacks (``FaultStack(**kwargs)``); everything they started is stopped at the end of the test."""
    stacks: list[FaultStack] = []

    async def make(**kwargs: Any) -> FaultStack:
        if kwargs.get("backend") == "postgres" and not _postgres_reachable():
            if TEST_SETTINGS.require_postgres:
                pytest.fail(
                    "PostgreSQL is required (CASEFLOW_TEST_REQUIRE_POSTGRES=1) but 127.0.0.1:5432 is unreachable"
                )
            pytest.skip("no PostgreSQL reachable on 127.0.0.1:5432")
        stack = FaultStack(tmp_path / f"stack{len(stacks)}", **kwargs)
        stacks.append(stack)
        await stack.start()
        return stack

    yield make
    for stack in stacks:
        await stack.stop()
