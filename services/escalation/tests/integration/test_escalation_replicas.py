"""Two scheduler instances on one PostgreSQL database fire each supervision action exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from caseflow_common.testing import ManualClock
from escalation.scheduler import run_scheduler_pass

UTC = UTC
MONDAY_9AM = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_two_schedulers_on_postgresql_fire_each_action_once(escalation, databases, esc):
    if databases.backend != "postgres":
        pytest.skip("replicas share a PostgreSQL database (SQLite has a single writer)")
    clock = ManualClock(MONDAY_9AM)
    url = await databases.new_url("replicas")
    async with escalation(url, clock, scheduler_batch=7) as one, escalation(url, clock, scheduler_batch=7) as two:
        for n in range(40):
            await esc.feed(one.runtime, f"C-{n}", esc.received(MONDAY_9AM), MONDAY_9AM)
            await esc.feed(one.runtime, f"C-{n}", esc.dispatched(MONDAY_9AM), MONDAY_9AM)
        for day in range(0, 60, 3):  # both replicas race on every tick of a two-month climb
            now = MONDAY_9AM + timedelta(days=day, hours=9)
            await asyncio.gather(*(run_scheduler_pass(rt, now) for rt in (one.runtime, two.runtime, one.runtime)))
        rows = await esc.actions(one.runtime)
        events = await esc.outbox_events(one.runtime, "SupervisionActionIssued")
        ids = [e.payload["action_id"] for e in events]
        assert len(rows) == len(ids) == len(set(ids))
        # 40 cases x 4 clocks x (reminder + 4 rungs), all due after two months
        assert len(rows) == 40 * 4 * 5
