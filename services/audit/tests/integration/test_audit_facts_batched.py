"""A consumed batch writes the assessment's per-unit facts at commit, grouped into few statements: the figures come
out exactly as when every event is applied in a transaction of its own (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from audit.handlers import record
from caseflow_common.contracts.dispatch import (
    CaseAccepted,
    CaseClosed,
    CaseDispatched,
    CaseReplied,
    CaseReturned,
    CaseTransferred,
)
from caseflow_common.contracts.escalation import ClocksUpdated, ClockView
from caseflow_common.contracts.intake import CaseReopened, VisitRecorded
from caseflow_common.events import Envelope, Payload

OTHER = "GZ-TH-HJ"


def history(audit: Any, case_id: str, received_last: bool) -> list[Envelope]:
    """One case's events in the order they arrive: the same (case, unit) row touched many times, in different shapes
    (earliest kept, latest wins, counts added; a reply, the close, a reply again), by two units, then visits, which
    read the rows back."""
    at = audit.clock() - timedelta(days=3)
    unit = audit.unit

    def clocks(holder: str, hours: int) -> ClocksUpdated:
        return ClocksUpdated(
            clocks=[
                ClockView(kind="sign_for", deadline=at + timedelta(hours=hours), state="running", unit=holder),
                ClockView(kind="handling", deadline=at + timedelta(days=hours), state="running", unit=holder),
            ]
        )

    payloads: list[Payload] = [
        CaseDispatched(unit=unit, at=at + timedelta(minutes=1), routing_version=1, district_code="440106"),
        clocks(unit, 2),
        CaseReturned(unit=unit, at=at + timedelta(minutes=5), reason="不属本单位职责"),
        CaseDispatched(unit=unit, at=at + timedelta(minutes=9), routing_version=1, district_code="440106"),
        clocks(unit, 3),
        CaseTransferred(unit=unit, at=at + timedelta(minutes=20), to_unit=OTHER, reason="属生态环境"),
        CaseDispatched(unit=OTHER, at=at + timedelta(minutes=21), routing_version=1, district_code="440106"),
        clocks(OTHER, 4),
        CaseAccepted(unit=OTHER, at=at + timedelta(hours=1)),
        CaseReplied(unit=OTHER, at=at + timedelta(hours=5), content="已处理", resolved=False),
        CaseReplied(unit=OTHER, at=at + timedelta(hours=9), content="已整改", resolved=True),
        CaseClosed(unit=OTHER, at=at + timedelta(hours=10), resolved=True),
        # Reopened, and answered again unresolved: the latest answer wins over the close's.
        CaseReopened(reason="复查未解决", cycle=2, unit=OTHER),
        CaseReplied(unit=OTHER, at=at + timedelta(days=2), content="仍在处理", resolved=False, cycle=2),
        VisitRecorded(contacted=False, visited_at=at + timedelta(days=1)),
        VisitRecorded(contacted=True, satisfaction="dissatisfied", visited_at=at + timedelta(days=1, hours=2)),
        VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=at + timedelta(days=1, hours=3)),
    ]
    events = [audit.event(audit.received(at, case_id), case_id, at)]
    for i, payload in enumerate(payloads, start=1):
        actor = audit.hotline if payload.event_type == "VisitRecorded" else None
        # Received last: nothing names a cause (so nothing is held), and the rows exist before the case's index row.
        cause = None if received_last else events[-1]
        events.append(audit.event(payload, case_id, at + timedelta(minutes=i), cause=cause, actor=actor))
    return events[1:] + events[:1] if received_last else events


async def facts_of(audit: Any, case_id: str) -> list[dict[str, Any]]:
    async with audit.svc.runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM case_facts WHERE case_id = :c ORDER BY unit"), {"c": case_id})
        return [{k: v for k, v in row._mapping.items() if k not in ("id", "case_id")} for row in rows]


@pytest.mark.parametrize("received_last", [False, True], ids=["in-order", "received-last"])
async def test_a_batch_of_one_cases_events_gives_the_figures_of_one_transaction_per_event(audit, received_last):
    one_by_one, batched = audit.new_case(), audit.new_case()
    context = audit.svc.runtime.context
    for env in history(audit, one_by_one, received_last):  # as the consumer applies a batch of one
        async with audit.svc.runtime.uow() as uow:
            await uow.prepare([env])
            await record(env, uow, context)
            await uow.commit()
    async with audit.svc.runtime.uow() as uow:  # as the consumer applies a batch of all of them
        envelopes = history(audit, batched, received_last)
        await uow.prepare(envelopes)
        for env in envelopes:
            await record(env, uow, context)
        await uow.commit()

    expected = await facts_of(audit, one_by_one)
    assert [row["unit"] for row in expected] == sorted([audit.unit, OTHER])
    mine, other = (expected[0], expected[1]) if expected[0]["unit"] == audit.unit else (expected[1], expected[0])
    assert (mine["returns"], mine["transfers"], other["unreached_visits"]) == (1, 1, 1)
    # The second evaluation of the cycle replaces the first (it is not a second one).
    assert (other["evaluations"], other["evaluations_satisfied"], other["resolved"]) == (1, 1, False)
    assert await facts_of(audit, batched) == expected
