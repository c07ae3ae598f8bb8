"""escalation's copy of the directory follows dispatch's changes (DirectoryChanged, GZ Art. 5; SZ Art. 8): a unit
added is known from its effective date, a retired one no longer; kept in the database, so another replica (or a
restart) answers the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD, DirectoryChanged, DirectoryEntry
from caseflow_common.testing import ManualClock, auth_header, wait_for
from escalation.orm import directory_changes

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
SUPERVISOR = auth_header(Role.SUPERVISOR)
NEW, RETIRING = "GZ-TH-HJ2", "GZ-TH-CG"


def _decision(unit: str, case_id: str) -> dict:
    return {
        "unit": unit,
        "case_ids": [case_id],
        "rung": "notify",
        "reason": "repeated_incidents",
        "note": "同一街道一月内三次",
        "rectification_deadline": (NOW + timedelta(days=40)).isoformat(),
    }


async def test_a_unit_added_and_one_retired_in_dispatch_are_known_and_unknown_here_from_their_dates(
    escalation, databases, broker, topic_prefix, esc
):
    clock, url = ManualClock(NOW), await databases.new_url("directory_copy")
    added = DirectoryChanged(
        directory_version=2,
        op="add_unit",
        code=NEW,
        effective_from=NOW,
        entry=DirectoryEntry(code=NEW, name="天河区生态环境局", level="district", kind="ecology", region="440106"),
    )
    retired = DirectoryChanged(
        directory_version=3, op="retire_unit", code=RETIRING, effective_from=NOW + timedelta(days=1), reason="机构改革"
    )
    async with escalation(url, clock, workers=True) as svc:
        for case_id, unit in (("C-NEW", NEW), ("C-OLD", RETIRING)):
            await esc.feed(svc.runtime, case_id, esc.received(NOW), NOW)
            await esc.feed(svc.runtime, case_id, esc.dispatched(NOW, unit=unit), NOW)
        before = await svc.client.post("/v1/supervision/actions", json=_decision(NEW, "C-NEW"), headers=SUPERVISOR)
        assert before.status_code == 422 and before.json()["error"]["code"] == "unknown_unit"

        await esc.publish(broker, topic_prefix, DIRECTORY_RECORD, (added, NOW), (retired, NOW))
        await wait_for(lambda: _stored(svc.runtime, 3), timeout=20)
        issued = await svc.client.post("/v1/supervision/actions", json=_decision(NEW, "C-NEW"), headers=SUPERVISOR)
        assert issued.status_code == 201, issued.text
        # Retiring tomorrow: still a unit today.
        assert svc.runtime.context.coordination.knows_unit(RETIRING)
        clock.advance(days=2)
        late = await svc.client.post("/v1/supervision/actions", json=_decision(RETIRING, "C-OLD"), headers=SUPERVISOR)
        assert late.status_code == 422 and late.json()["error"]["code"] == "unknown_unit"

    # Another replica (here: a restart) reads the same copy from the database.
    async with escalation(url, clock, workers=True) as again:
        ctx = again.runtime.context

        async def caught_up() -> bool:
            return ctx.coordination.knows_unit(NEW) and not ctx.coordination.knows_unit(RETIRING)

        await wait_for(caught_up, timeout=20)


async def _stored(runtime, version: int) -> bool:  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        found = await session.execute(select(directory_changes.c.version).where(directory_changes.c.version == version))
        return found.first() is not None
