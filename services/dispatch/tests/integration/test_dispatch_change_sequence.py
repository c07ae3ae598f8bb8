"""The change sequence behind the live stream: numbers handed out in commit order, never one smaller appearing after
a larger one was seen, and concurrent writers of one case never deadlock on it (PostgreSQL's row locks)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from caseflow_common.testing import wait_for

TH_ECOLOGY = "GZ-TH-HJ"


async def _change_id(dispatch, case_id: str) -> int:
    response = await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)
    return int(response.json()["change_id"])


async def test_every_change_of_a_case_takes_a_larger_number_than_any_before(dispatch):
    first = await dispatch.receive()
    second = await dispatch.receive()
    a, b = await _change_id(dispatch, first), await _change_id(dispatch, second)
    assert 0 < a < b
    assert (await dispatch.act(first, "accept", TH_ECOLOGY)).status_code == 200
    assert await _change_id(dispatch, first) > b


async def test_a_clock_update_and_an_action_on_the_same_case_both_commit_in_order_without_deadlock(dispatch):
    runtime = dispatch.svc.runtime
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing to interleave")
    case_id = await dispatch.receive()
    now = dispatch.clock()
    clocks = [{"kind": "sign_for", "unit": TH_ECOLOGY, "role": "holder", "cycle": 1, "state": "running",
               "deadline": now + timedelta(hours=1), "met_at": None}]  # fmt: skip
    async with runtime.uow() as consumer, runtime.uow() as action:
        await consumer.cases.replace_clocks(case_id, clocks, now)  # no lock on the case's row yet
        file = await action.cases.get(case_id)
        assert file is not None
        file.case.accept(TH_ECOLOGY, at=now)
        await action.cases.save(file, now)  # the action holds the case's row
        pid = (await consumer.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        consumer_commit = asyncio.create_task(consumer.commit())  # numbers its change: waits on the row

        async def waiting() -> bool:
            async with runtime.engine.connect() as conn:
                row = await conn.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                )
                return row.scalar_one_or_none() == "Lock"

        await wait_for(waiting, timeout=20)
        await action.commit()  # would deadlock if the consumer held the sequence while waiting on the row
        await asyncio.wait_for(consumer_commit, timeout=20)
    view = await dispatch.case(case_id, TH_ECOLOGY)
    assert view["status"] == "accepted" and view["deadlines"] == {"sign_for": (now + timedelta(hours=1)).isoformat()}
