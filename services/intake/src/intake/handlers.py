"""intake's reactions to events: the case-status read model for hotline systems (CQRS), kept current from dispatch
and escalation events."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from caseflow_common.contracts.escalation import ClocksUpdated
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.db import as_utc
from caseflow_common.events import Envelope, Payload
from caseflow_common.messaging.consumer import Handler
from intake.context import IntakeContext
from intake.domain.projection import (
    STATUS_AFTER,
    WAITING,
    DispatchEvent,
    follows,
    status_after,
    step_note,
    unit_after,
    unit_name,
)
from intake.repository import aware
from intake.uow import IntakeUnitOfWork

log = logging.getLogger(__name__)

# The dispatch events the projection follows, by event type (the payload model each one is read as).
_DISPATCH_MODELS: dict[str, type[DispatchEvent]] = {model.event_type: model for model in STATUS_AFTER}


async def on_dispatch_event(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """Move the case's status, unit and steps along with what dispatch reports."""
    event = env.payload_as(_DISPATCH_MODELS[env.event_type])
    row = await uow.repo.status_row(env.case_id, for_update=True)
    if row is None:
        log.warning("dispatch event for a case intake does not hold", extra={"event_type": env.event_type})
        return
    if event.cycle < row.cycle:
        return  # a late event of an earlier handling cycle; the reopened case has moved on
    status = status_after(event)
    unit, changed = unit_after(event, row.unit)
    values: dict[str, Any] = {"updated_at": env.occurred_at, "unit": unit, "cycle": max(event.cycle, row.cycle)}
    if changed:
        values["unit_name"] = unit_name(event)
    if status is not None and (row.status != CaseStatus.MERGED or follows(event)):
        values["status"] = status
    note = step_note(event)
    await uow.repo.set_status(env.case_id, **values)
    await uow.repo.add_step(
        env.case_id, event_type=env.event_type, at=event.at, unit=event.unit, note=note, cycle=event.cycle
    )
    if follows(event) and status is not None:
        for follower in await uow.repo.followers(env.case_id):
            frow = await uow.repo.status_row(follower, for_update=True)
            if frow is None or CaseStatus(frow.status) not in WAITING:
                continue
            await uow.repo.set_status(follower, status=status, unit=unit, updated_at=env.occurred_at)
            await uow.repo.add_step(
                follower, event_type=env.event_type, at=event.at, unit=event.unit, note=note, cycle=frow.cycle
            )


async def on_clocks_updated(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """Keep the case's deadlines as escalation last computed them (older updates are ignored)."""
    event = env.payload_as(ClocksUpdated)
    row = await uow.repo.status_row(env.case_id, for_update=True)
    if row is None:
        return
    clocks_at = as_utc(row.clocks_at)
    if clocks_at is not None and clocks_at > env.occurred_at:
        return
    clocks = [c.model_dump(mode="json") for c in event.clocks]
    await uow.repo.set_status(
        env.case_id,
        clocks=orjson.dumps(clocks).decode(),
        clocks_at=env.occurred_at,
        updated_at=max(aware(row.updated_at), env.occurred_at),
    )


# The events intake consumes, by payload model.
HANDLERS: dict[type[Payload], Handler[IntakeUnitOfWork, IntakeContext]] = {
    **{model: on_dispatch_event for model in STATUS_AFTER},
    ClocksUpdated: on_clocks_updated,
}
