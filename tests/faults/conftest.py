"""Fixtures of the fault-injection tests (helpers: stack.py and checks.py, importable from the tests of this folder).

Every test reports its figures (sent / accepted / lost / doubled / stuck / recovery seconds) as junit properties and
in a table at the end of the pytest run, with or without ``-s`` or parallel workers.
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


@pytest.fixture
def fault_report(record_property: Callable[[str, Any], None]) -> Callable[[Figures], None]:
    """Record a test's figures: one junit property each, and all of them as ``fault_figures``, the test's row of the
    summary table the root conftest.py prints at the end of the run."""

    def report(figures: Figures) -> None:
        row = figures.row()
        for key, value in row.items():
            if key != "test":
                record_property(key, value)
        record_property("fault_figures", row)

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
