"""Reactions to other services' events: route new cases, merge repeats, reopen, attach supervision and warnings,
keep the clocks escalation publishes.

Each handler runs inside the consumer's unit of work, which commits the batch (and the outbox rows) at once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from caseflow_common.contracts import escalation as esc
from caseflow_common.contracts import intake
from caseflow_common.events import SYSTEM, Envelope, Payload
from caseflow_common.masking import mask_name, mask_phone
from caseflow_common.messaging.consumer import Handler
from dispatch.case_file import CaseFile
from dispatch.context import DispatchContext
from dispatch.dispatching import apply_decision, decide, send_notices
from dispatch.domain import CaseStatus, DomainError, WorkCase
from dispatch.uow import DispatchUnitOfWork

log = logging.getLogger(__name__)


def _facts(
    ctx: DispatchContext, *, category: str, channel: str, region_code: str, received_at: datetime, **more: Any
) -> dict[str, Any]:
    """A new work case's facts: what the event tells, defaults for what it does not."""
    facts: dict[str, Any] = {
        "category": category,
        "urgency": "normal",
        "channel": channel,
        "kind": "request",
        "region_code": region_code,
        "district_code": ctx.reference.district_of(region_code),
        "description": "",
        "address": "",
        "requester_name": None,
        "requester_phone": None,
        "received_at": received_at,
        "region_codes": None,
    }
    facts.update(more)
    return facts


# A report names at most this many regions; more are ignored (a matter spanning the city is the city's anyway).
MAX_REGIONS = 50


def region_codes_of(env: Envelope, event: intake.CaseReceived, ctx: DispatchContext) -> list[str]:
    """Every known region the report names: ``region_codes`` (read from the raw payload when this build's contract
    does not have the field yet) with ``region_code`` first; the lowest institution covering them all takes a
    cross-region case (GZ Art. 10; SZ Art. 24)."""
    listed = getattr(event, "region_codes", None)
    if listed is None:
        listed = env.payload.get("region_codes")
    named = [event.region_code]
    if isinstance(listed, list):
        named += [code for code in listed[:MAX_REGIONS] if isinstance(code, str)]
    known = [code for code in dict.fromkeys(named) if code in ctx.reference.tree]
    return known or [event.region_code]


async def on_case_received(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """Route a new case to its department, or to the coordination institution; notify the units its category names."""
    event = env.payload_as(intake.CaseReceived)
    if await uow.cases.exists(env.case_id):
        return  # routed before (a replay under another event id) or already merged
    now = uow.clock()
    # Whistleblowers' and anonymous requesters' identity never reaches a department (GZ Art. 20).
    requester = None if event.anonymous or event.whistleblower else event.requester
    file = CaseFile(
        WorkCase(case_id=env.case_id),
        _facts(
            ctx,
            category=event.category,
            channel=event.channel,
            region_code=event.region_code,
            received_at=event.received_at,
            urgency=event.urgency,
            kind=event.kind,
            description=event.description,
            address=event.address,
            requester_name=mask_name(requester.name) if requester else None,
            requester_phone=mask_phone(requester.phone) if requester else None,
            region_codes=region_codes_of(env, event, ctx),
        ),
    )
    decision = decide(await ctx.routing.current(uow.routing), ctx.reference, file)
    apply_decision(uow, file, decision, now=now, accepted_at=env.occurred_at)
    await uow.cases.add(file, now)
    notices = await send_notices(uow, ctx.reference, file, now=now)
    await uow.record(
        file,
        [*file.case.pull_events(), *notices],
        ctx.reference,
        actor=SYSTEM,
        causation=env,
        reason=decision.reason.value,
    )


async def on_case_merged(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """A repeat request joined an open case: link it there; the repeat itself is merged (并单)."""
    event = env.payload_as(intake.CaseMerged)
    now = uow.clock()
    await uow.cases.add_merge(event.into_case_id, env.case_id, event.received_at)
    file = await uow.cases.get(env.case_id)
    if file is None:
        # Never routed here: keep a merged record so a late CaseReceived does not dispatch it.
        file = CaseFile(
            WorkCase(case_id=env.case_id),
            _facts(
                ctx,
                category=event.category,
                channel=event.channel,
                region_code=event.region_code,
                received_at=event.received_at,
            ),
        )
        file.case.merge(event.into_case_id, at=now)
        await uow.cases.add(file, now)
    elif file.case.status is not CaseStatus.MERGED:
        try:
            file.case.merge(event.into_case_id, at=now)
        except DomainError:
            # Intake decided the merge; dispatch records the fact even after signing for.
            file.case.status, file.case.merged_into = CaseStatus.MERGED, event.into_case_id
        await uow.cases.save(file, now)
    await uow.record(file, file.case.pull_events(), ctx.reference, actor=SYSTEM, causation=env)


async def on_case_reopened(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """A dissatisfied evaluation: the same unit gets the case again in a new cycle (GZ Art. 17)."""
    event = env.payload_as(intake.CaseReopened)
    file = await uow.cases.get(env.case_id)
    if file is None or event.cycle <= file.case.cycle:
        return  # unknown case, or a stale / repeated reopen
    now = uow.clock()
    case = file.case
    if case.status is CaseStatus.MERGED:
        case.leave_merge(unit=event.unit)  # the main case's unit handles this requester's new cycle
    try:
        case.reopen(event.cycle, at=now, reason=event.reason)
    except DomainError as exc:
        log.warning("reopen ignored", extra={"reason": exc.reason})
        return
    await uow.cases.end_assignments(case.case_id)
    if case.unit:
        role = "lead" if case.role == "lead" else "sole"
        case.dispatch(
            case.unit,
            at=now,
            role=role,
            rule_id=file.facts["rule_id"],
            routing_version=file.facts["routing_version"],
        )
        file.changes.update(dispatched_at=now)
        reason = "reopened"
    else:
        decision = decide(await ctx.routing.current(uow.routing), ctx.reference, file)
        apply_decision(uow, file, decision, now=now)
        reason = decision.reason.value
    await uow.cases.save(file, now)
    await uow.record(file, case.pull_events(), ctx.reference, actor=SYSTEM, causation=env, reason=reason)


async def on_supervision_issued(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """督办 and the rungs above it: attach the action to every case it names (a rung unknown here reads as other)."""
    event = env.payload_as(esc.SupervisionActionIssued)
    for case_id in event.case_ids or [env.case_id]:
        await uow.cases.record_alert(
            action_id=event.action_id,
            case_id=case_id,
            kind="supervision",
            rung=event.rung,
            unit=event.unit,
            clock_kind=event.clock_kind,
            deadline=event.rectification_deadline,
            at=env.occurred_at,
        )


async def on_supervision_resolved(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """The addressed unit rectified: the action is resolved on its cases."""
    event = env.payload_as(esc.SupervisionActionResolved)
    await uow.cases.resolve_alert(event.action_id, env.occurred_at)


async def on_sla_warning(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """预警: a clock of the case nears its deadline."""
    event = env.payload_as(esc.SlaWarningIssued)
    await uow.cases.record_alert(
        action_id=str(env.event_id),
        case_id=env.case_id,
        kind="sla_warning",
        rung="warning",
        unit=event.unit,
        clock_kind=event.clock_kind,
        deadline=event.deadline,
        at=env.occurred_at,
    )


async def on_clocks_updated(env: Envelope, uow: DispatchUnitOfWork, ctx: DispatchContext) -> None:
    """The case's clocks after a change in escalation (start, pause, met, breach, recompute): queue items carry the
    running deadlines and the overdue flag from them. The list replaces the stored one unless it is older."""
    event = env.payload_as(esc.ClocksUpdated)
    clocks = [
        {
            "kind": c.kind,
            "unit": c.unit,
            "role": c.role,
            "cycle": c.cycle,
            "state": c.state,
            "deadline": c.deadline,
            "met_at": c.met_at,
        }
        for c in event.clocks
    ]
    await uow.cases.replace_clocks(env.case_id, clocks, env.occurred_at)


# The events dispatch reacts to, keyed by their payload model.
HANDLERS: dict[type[Payload], Handler[DispatchUnitOfWork, DispatchContext]] = {
    intake.CaseReceived: on_case_received,
    intake.CaseMerged: on_case_merged,
    intake.CaseReopened: on_case_reopened,
    esc.SupervisionActionIssued: on_supervision_issued,
    esc.SupervisionActionResolved: on_supervision_resolved,
    esc.SlaWarningIssued: on_sla_warning,
    esc.ClocksUpdated: on_clocks_updated,
}
