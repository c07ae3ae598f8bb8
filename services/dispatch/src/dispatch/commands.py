"""The department work API's use cases: each opens the unit of work, checks the caller's scope, applies the rule,
records the events and commits. A department acts only on its own cases (``scope``). Coordination is in
``coordination_commands``, the notice to public security in ``police_notice``, the routing table in
``routing_commands``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from caseflow_common.auth import Principal
from dispatch.case_file import CaseFile
from dispatch.context import DispatchContext
from dispatch.dispatching import apply_decision, decide_after_return
from dispatch.domain import NextStep, NotYourCase, TargetKind
from dispatch.domain import case_events as ev
from dispatch.domain.assisting import assisting_note
from dispatch.scope import Scoped, load_scoped, role_after_action
from dispatch.uow import DispatchRuntime, DispatchUnitOfWork

log = logging.getLogger(__name__)

# Roles on a case that do not hold it: they may read it, and assisting units act on their own part only.
NOT_HOLDING = frozenset({"assisting", "coordination", "notified"})


async def own(uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
    """The case if the caller holds it (not merely assists, coordinates or was notified of it)."""
    scoped = await load_scoped(uow.cases, case_id, who.unit)
    if scoped.role in NOT_HOLDING:
        raise NotYourCase(f"as a {scoped.role} unit, {who.unit} may not take this action on the case")
    return scoped.file


async def finish(
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
        file, now = await own(uow, case_id, who), uow.clock()
        file.case.accept(who.unit or "", at=now)
        return await finish(uow, rt.context, file, who, now)


async def return_(
    rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str, suggested_unit: str | None = None
) -> Scoped:
    """退单: never back to a unit that returned it; its suggestion, the next candidate of the routing table, else
    coordination (also once the returns reach the limit: a dispute, not a loop). The reason travels with the case."""
    ctx = rt.context
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        suggested = ctx.reference.handling_unit(suggested_unit, "suggested_unit") if suggested_unit else None
        outcome = file.case.return_(
            who.unit or "", reason, at=now, max_returns=ctx.max_returns, suggested_unit=suggested
        )
        await uow.cases.end_assignments(case_id)
        table = await ctx.routing.current(uow.routing)
        if outcome.next_step is NextStep.REDISPATCH and suggested:
            file.case.dispatch(suggested, at=now, routing_version=table.version)
            file.changes.update(
                rule_id=None, routing_version=table.version, routing_reason="redispatch", dispatched_at=now
            )
            return await finish(uow, ctx, file, who, now, reason="redispatch")
        dispute = outcome.next_step is NextStep.COORDINATION
        decision = decide_after_return(table, ctx.reference, file, dispute=dispute)
        apply_decision(uow, file, decision, now=now)
        redispatched = decision.target_kind is TargetKind.DEPARTMENT
        return await finish(uow, ctx, file, who, now, reason="redispatch" if redispatched else None)


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
        file, now = await own(uow, case_id, who), uow.clock()
        if not to_unit and suspected_crime:
            to_unit = ctx.reference.police_for(file.facts["region_code"], ctx.crime_unit_kind)
        target = ctx.reference.handling_unit(to_unit, "to_unit")
        case = file.case
        case.transfer(who.unit or "", target, reason, at=now)
        if case.role == "lead":
            # The lead's role moves with the case; the giver's access ends (its past steps stay in the record).
            await uow.cases.end_assignment(case_id, who.unit or "")
            await uow.cases.assign(case_id, target, cycle=case.cycle, role="lead", at=now)
        # The receiver gets the case as a fresh assignment: its own 签收 clock starts now (escalation).
        dispatched = ev.CaseDispatched(
            case_id=case_id,
            at=now,
            cycle=case.cycle,
            unit=target,
            role=case.role,
            routing_version=file.facts["routing_version"],
            **case.origin(),
        )
        file.changes.update(dispatched_at=now)
        return await finish(uow, ctx, file, who, now, extra=[dispatched], reason="transfer")


async def progress(rt: DispatchRuntime, case_id: str, who: Principal, *, note: str) -> Scoped:
    """办理 note; assisting units (协办) add theirs without changing the case's state."""
    async with rt.uow() as uow:
        scoped, now = await load_scoped(uow.cases, case_id, who.unit), uow.clock()
        file = scoped.file
        if scoped.role in {"coordination", "notified"}:
            raise NotYourCase(f"a {scoped.role} unit does not handle the case itself")
        if scoped.role != "assisting":
            file.case.note_progress(who.unit or "", note, at=now)
            return await finish(uow, rt.context, file, who, now)
        noted = assisting_note(file.case, who.unit or "", note, at=now)
        return await finish(uow, rt.context, file, who, now, extra=[noted])


async def suspend(rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str) -> Scoped:
    """Waiting on the requester; clocks pause."""
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        file.case.suspend(who.unit or "", reason, at=now)
        return await finish(uow, rt.context, file, who, now)


async def resume(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """Handling continues after a suspension."""
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        file.case.resume(who.unit or "", at=now)
        return await finish(uow, rt.context, file, who, now)


async def reply(rt: DispatchRuntime, case_id: str, who: Principal, *, content: str, resolved: bool) -> Scoped:
    """答复: the handling unit's reply, and whether the matter is resolved."""
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        file.case.reply(who.unit or "", content, resolved=resolved, at=now)
        return await finish(uow, rt.context, file, who, now)


async def close(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """办结, only after a reply."""
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        file.case.close(who.unit or "", at=now)
        return await finish(uow, rt.context, file, who, now)
