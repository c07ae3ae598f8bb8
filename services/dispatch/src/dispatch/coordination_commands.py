"""Coordination use cases (GZ Art. 10; SZ Art. 24): an institution names lead and assisting units within its area or
passes the case up a level; a department asks for coordination (提请协调); assisting units answer their part."""

from __future__ import annotations

from typing import get_args

from caseflow_common.auth import Principal, Role
from caseflow_common.contracts.dispatch import CaseSentToCoordination
from dispatch.commands import finish, own
from dispatch.dispatching import regions_of
from dispatch.domain import NotYourCase
from dispatch.domain import case_events as ev
from dispatch.domain.assisting import part_reply as assisting_part_reply
from dispatch.domain.coordination import check_named_units, institution_for, next_level
from dispatch.scope import Scoped, load_scoped
from dispatch.uow import DispatchRuntime

# The coordination reasons of the contract; a case referred or escalated keeps the one that brought it there.
COORDINATION_REASONS = frozenset(get_args(CaseSentToCoordination.model_fields["reason"].annotation))


async def coordinate(
    rt: DispatchRuntime,
    case_id: str,
    who: Principal,
    *,
    lead_unit: str,
    assisting_units: list[str],
    instructions: str,
) -> Scoped:
    """The coordination institution names the lead (主办) and assisting (协办) units within its own area (the
    city's office names anyone), each assisting unit with its own clocks (GZ Art. 10; SZ Art. 24)."""
    if who.role is not Role.COORDINATION:
        raise NotYourCase("only a coordination institution coordinates")
    ref, coordinator = rt.context.reference, who.unit or ""
    async with rt.uow() as uow:
        file, now = (await load_scoped(uow.cases, case_id, who.unit)).file, uow.clock()
        lead = ref.handling_unit(lead_unit, "lead_unit")
        assisting = [ref.handling_unit(u, "assisting_units") for u in assisting_units]
        case = file.case
        if case.unit == coordinator:
            named = [ref.units.get_or_raise(u) for u in (lead, *assisting)]
            check_named_units(ref.units.get_or_raise(coordinator), named, ref.tree)
        case.coordinate(coordinator, lead=lead, assisting=assisting, instructions=instructions, at=now)
        await uow.cases.end_assignments(case_id)
        await uow.cases.assign(case_id, coordinator, cycle=case.cycle, role="coordination", at=now)
        await uow.cases.assign(case_id, lead, cycle=case.cycle, role="lead", at=now)
        version = file.facts["routing_version"]
        origin = case.origin()
        dispatched = [
            ev.CaseDispatched(
                case_id=case_id, at=now, cycle=case.cycle, unit=lead, role="lead", routing_version=version, **origin
            )
        ]
        for unit in case.assisting_units:
            await uow.cases.assign(case_id, unit, cycle=case.cycle, role="assisting", at=now)
            # An assisting unit's own clocks start from this event (escalation: unit, role=assisting, at).
            dispatched.append(
                ev.CaseDispatched(
                    case_id=case_id,
                    at=now,
                    cycle=case.cycle,
                    unit=unit,
                    role="assisting",
                    routing_version=version,
                    **origin,
                )
            )
        file.changes.update(dispatched_at=now)
        return await finish(uow, rt.context, file, who, now, extra=dispatched, reason="coordinated")


async def refer(rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str) -> Scoped:
    """提请协调: the handling department asks for coordination with a reason: the institution that coordinated the
    case before, else the lowest one covering every region of the case (GZ Art. 10; SZ Art. 24)."""
    ref = rt.context.reference
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        case = file.case
        institution = ref.units.get(case.coordination_unit) if case.coordination_unit else None
        institution = institution or institution_for(regions_of(file), ref.units, ref.tree)
        case.refer(who.unit or "", institution.code, reason, at=now, level=institution.level.value)
        await uow.cases.end_assignments(case_id)  # the lead and assisting units are named anew
        file.changes.update(routing_reason="referred", dispatched_at=now)
        return await finish(uow, rt.context, file, who, now)


async def escalate(rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str) -> Scoped:
    """The institution holding the case passes it to the institution one level up (street centre -> district
    office -> city office) with a reason; its own access ends (GZ Art. 10; SZ Art. 24)."""
    if who.role is not Role.COORDINATION:
        raise NotYourCase("only a coordination institution passes a case up a level")
    ref = rt.context.reference
    async with rt.uow() as uow:
        file, now = (await load_scoped(uow.cases, case_id, who.unit)).file, uow.clock()
        here = ref.units.get_or_raise(who.unit or "")
        case = file.case
        if case.unit != here.code:
            raise NotYourCase(f"{here.code} does not hold case {case_id}")
        upper = next_level(here, ref.units, ref.tree)
        kept = file.facts.get("routing_reason")
        legacy = kept if isinstance(kept, str) and kept in COORDINATION_REASONS else "multi_department"
        case.escalate(here.code, upper.code, reason, at=now, level=upper.level.value, routing_reason=legacy)
        await uow.cases.end_assignment(case_id, here.code)
        file.changes.update(routing_reason="escalated", dispatched_at=now)
        return await finish(uow, rt.context, file, who, now)


async def part_reply(rt: DispatchRuntime, case_id: str, who: Principal, *, content: str) -> Scoped:
    """An assisting unit (协办) answers its part to the lead, once per cycle; the lead sees it in the case."""
    async with rt.uow() as uow:
        scoped, now = await load_scoped(uow.cases, case_id, who.unit), uow.clock()
        if scoped.role != "assisting":
            raise NotYourCase("only an assisting unit gives a part reply; the handling unit replies (答复)")
        file, unit = scoped.file, who.unit or ""
        before = await uow.cases.has_action(case_id, unit=unit, cycle=file.case.cycle, action="part_reply")
        event = assisting_part_reply(file.case, unit, content, at=now, replied_before=before)
        return await finish(uow, rt.context, file, who, now, extra=[event])
