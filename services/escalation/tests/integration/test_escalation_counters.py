"""What the scheduler counts, it counts once: a pass that fails at COMMIT and runs again adds its breach to
caseflow_sla_breaches_total (and its rung to caseflow_supervision_actions_total) once, when it finally commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import ManualClock, failing_commits
from escalation.scheduler import run_scheduler_pass

MONDAY_9AM = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HANDLING_DEADLINE = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # 10 working days later, 18:00 local


def counted(unit: str) -> tuple[float, float]:
    return (
        REGISTRY.get_sample_value("caseflow_sla_breaches_total", {"unit": unit}) or 0.0,
        REGISTRY.get_sample_value("caseflow_supervision_actions_total", {"rung": "supervise"}) or 0.0,
    )


async def test_a_pass_that_fails_at_commit_and_runs_again_counts_the_breach_once(escalation, databases, esc):
    async with escalation(await databases.new_url("counters"), ManualClock(MONDAY_9AM)) as svc:
        rt = svc.runtime
        await esc.feed(rt, "C-count", esc.received(MONDAY_9AM), MONDAY_9AM)
        await esc.feed(rt, "C-count", esc.dispatched(MONDAY_9AM), MONDAY_9AM)
        later = MONDAY_9AM + timedelta(hours=1)
        await esc.feed(rt, "C-count", d.CaseAccepted(unit=esc.UNIT, at=later), later)
        await esc.feed(rt, "C-count", d.CaseReplied(unit=esc.UNIT, at=later, content="on it", resolved=False), later)
        await run_scheduler_pass(rt, HANDLING_DEADLINE - timedelta(days=1))  # the reminder, counted as usual
        before = counted(esc.UNIT)
        breach = HANDLING_DEADLINE + timedelta(seconds=1)
        with failing_commits(rt.engine, "supervision_actions") as failures:
            with pytest.raises(ConnectionError):  # the database went away at COMMIT: nothing of the pass is kept
                await run_scheduler_pass(rt, breach)
            assert failures.failed == 1
            assert counted(esc.UNIT) == before, "counted before the commit"
            await run_scheduler_pass(rt, breach)
        assert counted(esc.UNIT) == (before[0] + 1, before[1] + 1)
        rungs = [a.rung for a in await esc.actions(rt) if a.clock_kind == "handling"]
        assert rungs == ["reminder", "supervise"]
