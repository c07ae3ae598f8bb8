"""The work and admin APIs' use cases: each opens the unit of work, checks the caller's scope, applies the rule,
records the events and commits. A department acts only on its own cases (``scope``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from caseflow_common.auth import Principal, Role
from dispatch.context import DispatchContext
from dispatch.dispatching import apply_decision, decide
from dispatch.domain import CaseStatus, IllegalTransition, NextStep, NotYourCase, ValidationError
from dispatch.domain import case_events as ev
from dispatch.repository import CaseFile
from dispatch.scope import Scoped, load_scoped, role_after_action
from dispatch.uow import DispatchRuntime, DispatchUnitOfWork

log = logging.getLogger(__name__)

# States in which assisting units (协办) may still add progress notes.
ASSISTING_NOTE_STATES = frozenset(
    {CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED}
)


async def _own(uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
    """The case if the caller holds it (not merely assists or coordinates it)."""
    scoped = await load_scoped(uow.cases, case_id, who.unit)
    if scoped.role in {"assisting", "coordination"}:
        raise NotYourCase(f"as a {scoped.role} unit, {who.unit} may not take this action on the case")
    return scoped.file


async def _finish(
    uow: DispatchUnitOfWork,
    ctx: DispatchContext,
    file: CaseFile,
    who: Principal,
    now: datetime,
    extra: Sequence[ev.CaseEvent] = (),
    reason: str | None = None,
) -> Scoped:
    """Save the case, record its events, commit; the case with the caller's role on it afterwards."""
    await uow.cases.save(file, now)
    await uow.record(file, [*file.case.pull_events(), *extra], ctx.reference, actor=who.actor, reason=reason)
    await uow.commit()
    return Scoped(file, await role_after_action(uow.cases, file, who.unit))


async def accept(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """签收: the department signs for a dispatched case."""
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        file.case.accept(who.unit or "", at=now)
        return await _finish(uow, rt.context, file, who, now)


async def return_(
    rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str, suggested_unit: str | None = None
) -> Scoped:
    """退单; re-dispatch, or coordination once the returns reach the limit (a dispute, not a loop)."""
    ctx = rt.context
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        suggested = ctx.reference.handling_unit(suggested_unit, "suggested_unit") if suggested_unit else None
        outcome = file.case.return_(
            who.unit or "", reason, at=now, max_returns=ctx.max_returns, suggested_unit=suggested
        )
        await uow.cases.end_assignments(case_id)
        table = await ctx.routing.current(uow.routing)
        if outcome.next_step is NextStep.REDISPATCH and suggested and suggested != who.unit:
            file.case.dispatch(suggested, at=now, routing_version=table.version)
            file.changes.update(
                rule_id=None, routing_version=table.version, routing_reason="redispatch", dispatched_at=now
            )
            return await _finish(uow, ctx, file, who, now, reason="redispatch")
        dispute = outcome.next_step is NextStep.COORDINATION
        apply_decision(file, decide(table, ctx.reference, file, dispute=dispute), now=now)
        return await _finish(uow, ctx, file, who, now, reason="redispatch" if not dispute else None)


async def transfer(
    rt: DispatchRuntime,
    case_id: str,
    who: Principal,
    *,
    to_unit: str | None,
    reason: str,
    suspected_crime: bool = False,
) -> Scoped:
    """移送 to the unit that holds the duty (SZ Art. 25); suspected crime goes to public security."""
    ctx = rt.context
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        if not to_unit and suspected_crime:
            to_unit = ctx.reference.police_for(file.facts["region_code"], ctx.crime_unit_kind)
        target = ctx.reference.handling_unit(to_unit, "to_unit")
        file.case.transfer(who.unit or "", target, reason, at=now)
        dispatched = ev.CaseDispatched(
            case_id=case_id,
            at=now,
            cycle=file.case.cycle,
            unit=target,
            role=file.case.role,
            routing_version=file.facts["routing_version"],
        )
        file.changes.update(dispatched_at=now)
        return await _finish(uow, ctx, file, who, now, extra=[dispatched], reason="transfer")


async def progress(rt: DispatchRuntime, case_id: str, who: Principal, *, note: str) -> Scoped:
    """办理 note; assisting units (协办) add theirs without changing the case's state."""
    async with rt.uow() as uow:
        scoped, now = await load_scoped(uow.cases, case_id, who.unit), uow.clock()
        file = scoped.file
        if scoped.role == "coordination":
            raise NotYourCase("a coordination institution does not handle the case itself")
        if scoped.role != "assisting":
            file.case.note_progress(who.unit or "", note, at=now)
            return await _finish(uow, rt.context, file, who, now)
        if file.case.status not in ASSISTING_NOTE_STATES:
            raise IllegalTransition(
                f"progress can be noted only while the case is handled (the case is {file.case.status.value})"
            )
        if not note.strip():
            raise ValidationError("a progress note cannot be empty")
        noted = ev.CaseProgressNoted(case_id=case_id, at=now, cycle=file.case.cycle, unit=who.unit, note=note)
        return await _finish(uow, rt.context, file, who, now, extra=[noted])


async def suspend(rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str) -> Scoped:
    """Waiting on the requester; clocks pause."""
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        file.case.suspend(who.unit or "", reason, at=now)
        return await _finish(uow, rt.context, file, who, now)


async def resume(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """Handling continues after a suspension."""
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        file.case.resume(who.unit or "", at=now)
        return await _finish(uow, rt.context, file, who, now)


async def reply(rt: DispatchRuntime, case_id: str, who: Principal, *, content: str, resolved: bool) -> Scoped:
    """答复: the handling unit's reply, and whether the matter is resolved."""
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        file.case.reply(who.unit or "", content, resolved=resolved, at=now)
        return await _finish(uow, rt.context, file, who, now)


async def close(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """办结, only after a reply."""
    async with rt.uow() as uow:
        file, now = await _own(uow, case_id, who), uow.clock()
        file.case.close(who.unit or "", at=now)
        return await _finish(uow, rt.context, file, who, now)


async def coordinate(
    rt: DispatchRuntime,
    case_id: str,
    who: Principal,
    *,
    lead_unit: str,
    assisting_units: list[str],
    instructions: str,
) -> Scoped:
    """The coordination institution names the lead (主办) and assisting (协办) units (GZ Art. 10; SZ Art. 24)."""
    if who.role is not Role.COORDINATION:
        raise NotYourCase("only a coordination institution coordinates")
    ref, coordinator = rt.context.reference, who.unit or ""
    async with rt.uow() as uow:
        file, now = (await load_scoped(uow.cases, case_id, who.unit)).file, uow.clock()
        lead = ref.handling_unit(lead_unit, "lead_unit")
        assisting = [ref.handling_unit(u, "assisting_units") for u in assisting_units]
        case = file.case
        case.coordinate(coordinator, lead=lead, assisting=assisting, instructions=instructions, at=now)
        await uow.cases.end_assignments(case_id)
        await uow.cases.assign(case_id, coordinator, cycle=case.cycle, role="coordination", at=now)
        await uow.cases.assign(case_id, lead, cycle=case.cycle, role="lead", at=now)
        version = file.facts["routing_version"]
        dispatched = [
            ev.CaseDispatched(
                case_id=case_id, at=now, cycle=case.cycle, unit=lead, role="lead", routing_version=version
            )
        ]
        for unit in case.assisting_units:
            await uow.cases.assign(case_id, unit, cycle=case.cycle, role="assisting", at=now)
            dispatched.append(
                ev.CaseDispatched(
                    case_id=case_id, at=now, cycle=case.cycle, unit=unit, role="assisting", routing_version=version
                )
            )
        file.changes.update(dispatched_at=now)
        return await _finish(uow, rt.context, file, who, now, extra=dispatched, reason="coordinated")


# -- the routing table ----------------------------------------------------------------------------------------
async def publish_routing(
    rt: DispatchRuntime, rules: list[dict[str, Any]], *, base_version: int | None, who: Principal
) -> dict[str, Any]:
    """Validate the rules against the directory and store them as the next version; the stored version."""
    store = rt.context.routing
    async with rt.uow() as uow:
        by = f"{who.role}:{who.subject}"
        table = await store.publish(uow.routing, rules, base_version=base_version, now=uow.clock(), by=by)
        await uow.commit()
        store.remember(table)
        stored = await uow.routing.get(table.version)
    if stored is None:
        raise RuntimeError(f"routing version {table.version} vanished after it was stored")
    return stored


async def seed_routing(rt: DispatchRuntime) -> None:
    """Start-up step: store the routing file as the first version unless a version is stored already."""
    store = rt.context.routing
    try:
        async with rt.uow() as uow:
            table = await store.seed(uow.routing, now=uow.clock())
            if table is None:
                return
            await uow.commit()
    except IntegrityError:
        log.info("another replica stored the routing seed first")
        return
    store.remember(table)
