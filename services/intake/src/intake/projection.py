"""The case-status read model for hotline systems (CQRS), kept current from dispatch and escalation events."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import orjson

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.escalation import ClocksUpdated
from caseflow_common.db import as_utc
from caseflow_common.events import Envelope, Payload, payload_model
from caseflow_common.messaging.consumer import Handler
from intake.context import IntakeContext, IntakeUnitOfWork
from intake.domain.status import CaseStatus

log = logging.getLogger(__name__)

# What each dispatch event makes of the case's status; None keeps the status (the step is still recorded).
STATUS_AFTER: dict[str, CaseStatus | None] = {
    "CaseDispatched": CaseStatus.DISPATCHED,
    "CaseSentToCoordination": CaseStatus.COORDINATING,
    "CaseCoordinated": CaseStatus.DISPATCHED,
    "CaseAccepted": CaseStatus.ACCEPTED,
    "CaseReturned": CaseStatus.RECEIVED,  # back with dispatch, waiting for the next department
    "CaseTransferred": CaseStatus.DISPATCHED,
    "CaseProgressNoted": CaseStatus.IN_PROGRESS,
    "CaseSuspended": CaseStatus.SUSPENDED,
    "CaseResumed": CaseStatus.IN_PROGRESS,
    "CaseReplied": CaseStatus.REPLIED,
    "CaseClosed": CaseStatus.CLOSED,
}
# A repeat request (并单) waits on its open case and takes over its reply and closure; each requester then gets
# their own return visit and evaluation (DOMAIN.md).
FOLLOWED: frozenset[str] = frozenset({"CaseReplied", "CaseClosed"})
_WAITING = frozenset({CaseStatus.MERGED, CaseStatus.REPLIED})


def _note(event: Payload) -> str | None:
    match event:
        case d.CaseReturned(reason=reason) | d.CaseSuspended(reason=reason) | d.CaseResumed(reason=reason):
            return reason or None
        case d.CaseTransferred(to_unit=to_unit, reason=reason):
            return f"-> {to_unit}: {reason}"
        case d.CaseProgressNoted(note=note):
            return note
        case d.CaseReplied(content=content):
            return content
        case d.CaseCoordinated(lead_unit=lead, assisting_units=assisting):
            return f"lead {lead}" + (f"; assisting {', '.join(assisting)}" if assisting else "")
        case d.CaseSentToCoordination(reason=reason):
            return reason
        case d.CaseDispatched(role=role) if role != "sole":
            return role
    return None


def _unit_after(event: Payload, current: str | None) -> tuple[str | None, bool]:
    """The responsible unit after the event, and whether the unit changed hands (name unknown then)."""
    match event:
        case d.CaseDispatched(role="assisting"):
            return current, False  # a 协办 unit helps; the lead stays responsible
        case d.CaseDispatched(unit=unit) | d.CaseSentToCoordination(unit=unit):
            return unit, True
        case d.CaseTransferred(to_unit=to_unit):
            return to_unit, True
        case d.CaseCoordinated(lead_unit=lead):
            return lead, True
        case d.CaseReturned():
            return None, True
    return current, False


def known_models(event_types: Iterable[str]) -> list[type[Payload]]:
    """The registered v1 payload models of these event types."""
    models = [payload_model(t, 1) for t in event_types]
    return [m for m in models if m is not None]


async def on_dispatch_event(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """Move the case's status, unit and steps along with what dispatch reports."""
    event = env.typed()
    row = await uow.repo.status_row(env.case_id, for_update=True)
    if row is None:
        log.warning("dispatch event for a case intake does not hold", extra={"event_type": env.event_type})
        return
    cycle = getattr(event, "cycle", 1)
    if cycle < row.cycle:
        return  # a late event of an earlier handling cycle; the reopened case has moved on
    status = STATUS_AFTER.get(env.event_type)
    if isinstance(event, d.CaseDispatched) and event.role == "assisting":
        status = None
    unit, changed = _unit_after(event, row.unit)
    values: dict = {"updated_at": env.occurred_at, "unit": unit, "cycle": max(cycle, row.cycle)}
    if changed:
        values["unit_name"] = getattr(event, "unit_name", None) or None
    if status is not None and (row.status != CaseStatus.MERGED or env.event_type in FOLLOWED):
        values["status"] = status
    at, note = getattr(event, "at", env.occurred_at), _note(event)
    await uow.repo.set_status(env.case_id, **values)
    await uow.repo.add_step(
        env.case_id, event_type=env.event_type, at=at, unit=getattr(event, "unit", None), note=note, cycle=cycle
    )
    if env.event_type in FOLLOWED and status is not None:
        for follower in await uow.repo.followers(env.case_id):
            frow = await uow.repo.status_row(follower, for_update=True)
            if frow is None or CaseStatus(frow.status) not in _WAITING:
                continue
            await uow.repo.set_status(follower, status=status, unit=unit, updated_at=env.occurred_at)
            await uow.repo.add_step(
                follower,
                event_type=env.event_type,
                at=at,
                unit=getattr(event, "unit", None),
                note=note,
                cycle=frow.cycle,
            )


async def on_clocks_updated(env: Envelope, uow: IntakeUnitOfWork, ctx: IntakeContext) -> None:
    """Keep the case's deadlines as escalation last computed them (older updates are ignored)."""
    event = env.payload_as(ClocksUpdated)
    row = await uow.repo.status_row(env.case_id, for_update=True)
    if row is None:
        return
    if row.clocks_at is not None and as_utc(row.clocks_at) > env.occurred_at:
        return
    clocks = [c.model_dump(mode="json") for c in event.clocks]
    await uow.repo.set_status(
        env.case_id,
        clocks=orjson.dumps(clocks).decode(),
        clocks_at=env.occurred_at,
        updated_at=max(as_utc(row.updated_at), env.occurred_at),
    )


# The events intake consumes, by type.
HANDLERS: dict[type[Payload], Handler[IntakeUnitOfWork, IntakeContext]] = {
    **{model: on_dispatch_event for model in known_models(STATUS_AFTER)},
    ClocksUpdated: on_clocks_updated,
}
