"""intake's reactions to events: the case-status read model for hotline systems (CQRS), kept current from dispatch
and escalation events."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.dispatch import DirectoryChanged
from caseflow_common.contracts.escalation import ClocksUpdated
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.db import as_utc
from caseflow_common.directory_copy import store_change
from caseflow_common.events import Envelope, Payload
from caseflow_common.messaging.consumer import Handler
from intake.context import IntakeContext
from intake.domain.projection import (
    STATUS_AFTER,
    WAITING,
    DispatchEvent,
    follows,
    late_routing,
    status_after,
    step_note,
    taken_over,
    unit_after,
    unit_name,
)
from intake.orm import directory_changes
from intake.repository import aware
from intake.uow import IntakeUnitOfWork

log = logging.getLogger(__name__)

# The dispatch events the projection follows, by event type (the payload model each one is read as).
_DISPATCH_MODELS: dict[str, type[DispatchEvent]] = {model.event_type: model for model in STATUS_AFTER}


async def on_dispatch_event(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """Move the case's status, unit and steps along with what dispatch reports; merged requests follow its reply
    and closure."""
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
    if status is not None and late_routing(event, row.status, row.cycle):
        status = None
    if status is not None and (row.status != CaseStatus.MERGED or follows(event)):
        values["status"] = status
    reply = Reply(row.reply, row.reply_resolved, as_utc(row.replied_at))
    if isinstance(event, d.CaseReplied):
        reply = Reply(event.content, event.resolved, event.at)
        values.update(reply=reply.content, reply_resolved=reply.resolved, replied_at=reply.at)
    note = step_note(event)
    await uow.repo.set_status(env.case_id, **values)
    await uow.repo.add_step(
        env.case_id, event_type=env.event_type, at=event.at, unit=event.unit, note=note, cycle=event.cycle
    )
    if follows(event) and status is not None:
        main = Main(unit=unit, unit_name=values.get("unit_name", row.unit_name), reply=reply)
        await _followers_take_over(uow, env, event, status, main)


class Reply(NamedTuple):
    """The department's latest reply on a case."""

    content: str | None
    resolved: bool | None
    at: datetime | None


class Main(NamedTuple):
    """What merged requests take over from their main case."""

    unit: str | None
    unit_name: str | None
    reply: Reply


async def _followers_take_over(
    uow: IntakeUnitOfWork, env: Envelope, event: DispatchEvent, status: CaseStatus, main: Main
) -> None:
    """Every request merged into the case (并单) takes over its reply and closure, each in its own cycle, so each
    requester then gets their own return visit and evaluation (DOMAIN.md, 2026-11-30; GZ Art. 17)."""
    for follower in await uow.repo.followers(env.case_id, WAITING):
        frow = await uow.repo.status_row(follower, for_update=True)
        if frow is None:
            continue
        steps = taken_over(event, frow.status)
        if not steps:
            continue
        for event_type in steps:
            replying = event_type == d.CaseReplied.event_type
            await uow.repo.add_step(
                follower,
                event_type=event_type,
                at=event.at,  # a reply taken over with the closure is the follower's step at the closure
                unit=main.unit if replying else event.unit,
                note=main.reply.content if replying else None,
                cycle=frow.cycle,
            )
        await uow.repo.set_status(
            follower,
            status=status,
            unit=main.unit,
            unit_name=main.unit_name,
            reply=main.reply.content,
            reply_resolved=main.reply.resolved,
            replied_at=main.reply.at,
            updated_at=env.occurred_at,
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
async def on_directory_changed(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """A region added, renamed or retired in dispatch's directory (GZ Art. 5; SZ Art. 8): kept, and from its
    effective date reports may name it (or no longer)."""
    change = env.payload_as(DirectoryChanged)
    await store_change(uow.session, directory_changes, change, at=uow.clock())
    ctx.directory.remember(change)  # this replica at once; the others read it from the table


HANDLERS: dict[type[Payload], Handler[IntakeUnitOfWork, IntakeContext]] = {
    **{model: on_dispatch_event for model in STATUS_AFTER},
    ClocksUpdated: on_clocks_updated,
    DirectoryChanged: on_directory_changed,
}
