"""The department work API's use cases: each opens the unit of work, checks the caller's scope, applies the rule,
records the events and commits. A department acts only on its own cases (``scope``). Coordination is in
``coordination_commands``, the notice to public security in ``police_notice``, the routing table in
``routing_commands``.

A department's everyday actions (签收 accept, progress notes, suspend and resume, 答复 reply, 办结 close) share their
transaction with the actions that arrived while the previous one was being written (group commit,
``caseflow_common.group_commit``; ``DispatchContext.action_writes``): each action decides on its case (its scope,
the rule) without writing anything, then writes its case and events; one commit for the group, and each request is
answered once that commit is done. An action the rules refuse answers for itself and writes nothing; when a write
fails, the group is written again action by action, each in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from caseflow_common.auth import Principal
from caseflow_common.group_commit import together_or_each
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


@dataclass(frozen=True)
class Decided:
    """What an action decided on its case, not written yet: the case as it leaves it, and events besides the case's."""

    file: CaseFile
    now: datetime
    extra: Sequence[ev.CaseEvent] = ()


async def _write(
    uow: DispatchUnitOfWork, ctx: DispatchContext, who: Principal, decided: Decided, reason: str | None = None
) -> None:
    """Save the case and record its events (the action's writes, before its commit)."""
    file = decided.file
    await uow.cases.save(file, decided.now)
    events = [*file.case.pull_events(), *decided.extra]
    await uow.record(file, events, ctx.reference, actor=who.actor, reason=reason)


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
    await _write(uow, ctx, who, Decided(file, now, extra), reason)
    await uow.commit()
    return Scoped(file, await role_after_action(uow.cases, file, who.unit))


# --- grouped actions ------------------------------------------------------------------------------------------


# Reads the case, checks the caller's scope and applies the rule, writing nothing; raises when the action is refused.
Decide = Callable[[DispatchUnitOfWork, datetime], Awaitable[Decided]]


@dataclass(frozen=True)
class Action:
    """A department's action on a case, waiting for its group's transaction."""

    who: Principal
    case_id: str
    decide: Decide


async def act(rt: DispatchRuntime, who: Principal, case_id: str, decide: Decide) -> Scoped:
    """Decide and write an action on ``case_id`` in the next group's transaction; answered once that has committed."""
    return await rt.context.action_writes.submit(Action(who, case_id, decide), partial(_write_actions, rt))


async def _write_actions(rt: DispatchRuntime, items: Sequence[Action]) -> list[Scoped | BaseException]:
    """Write a group of actions in one transaction; when a write fails, each action again in its own."""
    name = rt.context.action_writes.name
    return await together_or_each(name, items, partial(_write_group, rt), partial(_write_one, rt))


async def _write_group(rt: DispatchRuntime, items: Sequence[Action]) -> list[Scoped | Exception]:
    """The actions in one transaction; raises when a write or the commit failed (nothing of the group stays)."""
    ctx = rt.context
    outcomes: list[CaseFile | Exception] = []
    async with rt.uow() as uow:
        await uow.cases.preload([item.case_id for item in items])  # the group's cases in one statement
        uow.cases.defer_saves()  # ... and their saves in one
        for item in items:
            try:
                decided = await item.decide(uow, uow.clock())
            except Exception as exc:  # refused (not found, not its case, the rule): it wrote nothing
                outcomes.append(exc)
                continue
            await _write(uow, ctx, item.who, decided)
            outcomes.append(decided.file)
        await uow.commit()
        # Committed: what each caller is on its case now (a failure here is that caller's 503, never a rewrite).
        answers: list[Scoped | Exception] = []
        for item, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                answers.append(outcome)
                continue
            try:
                answers.append(Scoped(outcome, await role_after_action(uow.cases, outcome, item.who.unit)))
            except Exception as exc:
                answers.append(exc)
        return answers


async def _write_one(rt: DispatchRuntime, item: Action) -> Scoped | Exception:
    try:
        async with rt.uow() as uow:
            decided = await item.decide(uow, uow.clock())
            return await finish(uow, rt.context, decided.file, item.who, decided.now, decided.extra)
    except Exception as exc:  # this request's own answer (404, 409, 503 ...)
        return exc


async def accept(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """签收: the department signs for a dispatched case."""

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        file = await own(uow, case_id, who)
        file.case.accept(who.unit or "", at=now)
        return Decided(file, now)

    return await act(rt, who, case_id, decide)


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

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        scoped = await load_scoped(uow.cases, case_id, who.unit)
        file = scoped.file
        if scoped.role in {"coordination", "notified"}:
            raise NotYourCase(f"a {scoped.role} unit does not handle the case itself")
        if scoped.role != "assisting":
            file.case.note_progress(who.unit or "", note, at=now)
            return Decided(file, now)
        return Decided(file, now, [assisting_note(file.case, who.unit or "", note, at=now)])

    return await act(rt, who, case_id, decide)


async def suspend(rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str) -> Scoped:
    """Waiting on the requester; clocks pause."""

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        file = await own(uow, case_id, who)
        file.case.suspend(who.unit or "", reason, at=now)
        return Decided(file, now)

    return await act(rt, who, case_id, decide)


async def resume(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """Handling continues after a suspension."""

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        file = await own(uow, case_id, who)
        file.case.resume(who.unit or "", at=now)
        return Decided(file, now)

    return await act(rt, who, case_id, decide)


async def reply(rt: DispatchRuntime, case_id: str, who: Principal, *, content: str, resolved: bool) -> Scoped:
    """答复: the handling unit's reply, and whether the matter is resolved."""

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        file = await own(uow, case_id, who)
        file.case.reply(who.unit or "", content, resolved=resolved, at=now)
        return Decided(file, now)

    return await act(rt, who, case_id, decide)


async def close(rt: DispatchRuntime, case_id: str, who: Principal) -> Scoped:
    """办结, only after a reply."""

    async def decide(uow: DispatchUnitOfWork, now: datetime) -> Decided:
        file = await own(uow, case_id, who)
        file.case.close(who.unit or "", at=now)
        return Decided(file, now)

    return await act(rt, who, case_id, decide)
