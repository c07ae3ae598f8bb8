"""audit's use cases that write: each opens the unit of work and commits there (routes and loops call them)."""

from __future__ import annotations

from datetime import timedelta

from audit import metrics, recording
from audit.domain.anchor import Anchor
from audit.uow import AuditRuntime
from caseflow_common.lease import Lease


async def anchor_once(runtime: AuditRuntime, lease: Lease | None = None) -> None:
    """Take one anchor over every case head (only the replica holding the anchor lease does)."""
    if lease is not None and not await lease.acquire():
        return
    async with runtime.uow() as uow:
        anchor = await uow.anchors.take(runtime.clock())
        await uow.commit()
    if anchor is not None:
        metrics.ANCHOR_AGE.set(0)


async def take_anchor(runtime: AuditRuntime) -> Anchor | None:
    """Anchor the current heads at once; returns the newest anchor (None while there is none)."""
    await anchor_once(runtime)
    async with runtime.uow() as uow:
        return await uow.anchors.latest()


async def release_overdue_once(runtime: AuditRuntime, hold_s: float, limit: int = 200) -> int:
    """Record the events whose cause has not come within `hold_s` (each in its own transaction)."""
    cutoff = runtime.clock() - timedelta(seconds=hold_s)
    async with runtime.uow() as uow:
        due = await uow.records.held_before(cutoff, limit)
    released = 0
    for event_id in due:
        async with runtime.uow() as uow:
            if await recording.release_overdue(uow, event_id, runtime.context.rules):
                await uow.commit()
                released += 1
    return released
