"""Department and coordination actions on a case: load, check the caller's scope, apply the rule, record.

A department acts only on its own cases: a case the caller does not hold (or assist, or coordinate) is
reported as not found, so its existence does not leak (SZ Art. 18).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caseflow_common.auth import Principal, Role
from dispatch.context import DispatchContext
from dispatch.dispatching import apply_decision, decide
from dispatch.domain import CaseStatus, IllegalTransition, NextStep, NotYourCase, UnitLevel, ValidationError
from dispatch.domain import case_events as ev
from dispatch.publishing import record
from dispatch.repository import CaseFile
from dispatch.uow import DispatchUnitOfWork

# States in which assisting units (协办) may still add progress notes.
ASSISTING_NOTE_STATES = frozenset(
    {CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED}
)


class CaseNotFound(Exception):
    """No such case in the caller's scope."""


@dataclass
class Scoped:
    """A case as the calling unit sees it."""

    file: CaseFile
    role: str  # sole / lead / assisting / coordination


async def load_scoped(uow: DispatchUnitOfWork, case_id: str, unit: str | None) -> Scoped:
    """The case if the unit handles, assists or coordinates it; CaseNotFound otherwise."""
    file = await uow.cases.get(case_id)
    if file is None or not unit:
        raise CaseNotFound(case_id)
    if file.case.unit == unit:
        return Scoped(file, file.case.role)
    role = await uow.cases.assignment_role(case_id, unit)
    if role is None:
        raise CaseNotFound(case_id)
    return Scoped(file, role)


class CaseActions:
    """The work API's commands; each runs inside the caller's unit of work, which commits."""

    def __init__(self, ctx: DispatchContext) -> None:
        self.ctx = ctx

    async def _own(self, uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
        scoped = await load_scoped(uow, case_id, who.unit)
        if scoped.role in {"assisting", "coordination"}:
            raise NotYourCase(f"as a {scoped.role} unit, {who.unit} may not take this action on the case")
        return scoped.file

    async def _finish(
        self,
        uow: DispatchUnitOfWork,
        file: CaseFile,
        who: Principal,
        now: datetime,
        extra: list[ev.CaseEvent] | None = None,
        reason: str | None = None,
    ) -> CaseFile:
        await uow.cases.save(file, now)
        events = file.case.pull_events() + (extra or [])
        await record(uow, file, events, self.ctx.reference, actor=who.actor, reason=reason)
        return file

    async def accept(self, uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
        """签收."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        file.case.accept(who.unit or "", at=now)
        return await self._finish(uow, file, who, now)

    async def return_(
        self, uow: DispatchUnitOfWork, case_id: str, who: Principal, *, reason: str, suggested_unit: str | None = None
    ) -> CaseFile:
        """退单; re-dispatch, or coordination once the returns reach the limit (a dispute, not a loop)."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        suggested = self._department(suggested_unit, "suggested_unit") if suggested_unit else None
        outcome = file.case.return_(
            who.unit or "", reason, at=now, max_returns=self.ctx.max_returns, suggested_unit=suggested
        )
        await uow.cases.end_assignments(case_id)
        table = await self.ctx.routing.current(uow.routing, now=now)
        if outcome.next_step is NextStep.REDISPATCH and suggested and suggested != who.unit:
            file.case.dispatch(suggested, at=now, routing_version=table.version)
            file.changes.update(
                rule_id=None, routing_version=table.version, routing_reason="redispatch", dispatched_at=now
            )
            return await self._finish(uow, file, who, now, reason="redispatch")
        dispute = outcome.next_step is NextStep.COORDINATION
        decision = decide(table, self.ctx.reference, file, dispute=dispute)
        apply_decision(file, decision, now=now)
        return await self._finish(uow, file, who, now, reason="redispatch" if not dispute else None)

    async def transfer(
        self,
        uow: DispatchUnitOfWork,
        case_id: str,
        who: Principal,
        *,
        to_unit: str | None,
        reason: str,
        suspected_crime: bool = False,
    ) -> CaseFile:
        """移送 to the unit that holds the duty (SZ Art. 25); suspected crime goes to public security."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        if not to_unit and suspected_crime:
            to_unit = self._police_for(file.facts["region_code"])
        target = self._department(to_unit, "to_unit")
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
        return await self._finish(uow, file, who, now, extra=[dispatched], reason="transfer")

    async def progress(self, uow: DispatchUnitOfWork, case_id: str, who: Principal, *, note: str) -> CaseFile:
        """办理 note; assisting units (协办) add theirs without changing the case's state."""
        scoped, now = await load_scoped(uow, case_id, who.unit), uow.clock()
        file = scoped.file
        if scoped.role == "coordination":
            raise NotYourCase("a coordination institution does not handle the case itself")
        if scoped.role != "assisting":
            file.case.note_progress(who.unit or "", note, at=now)
            return await self._finish(uow, file, who, now)
        if file.case.status not in ASSISTING_NOTE_STATES:
            raise IllegalTransition(
                f"progress can be noted only while the case is handled (the case is {file.case.status.value})"
            )
        if not note.strip():
            raise ValidationError("a progress note cannot be empty")
        noted = ev.CaseProgressNoted(case_id=case_id, at=now, cycle=file.case.cycle, unit=who.unit, note=note)
        return await self._finish(uow, file, who, now, extra=[noted])

    async def suspend(self, uow: DispatchUnitOfWork, case_id: str, who: Principal, *, reason: str) -> CaseFile:
        """Waiting on the requester; clocks pause."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        file.case.suspend(who.unit or "", reason, at=now)
        return await self._finish(uow, file, who, now)

    async def resume(self, uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
        """Handling continues."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        file.case.resume(who.unit or "", at=now)
        return await self._finish(uow, file, who, now)

    async def reply(
        self, uow: DispatchUnitOfWork, case_id: str, who: Principal, *, content: str, resolved: bool
    ) -> CaseFile:
        """答复."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        file.case.reply(who.unit or "", content, resolved=resolved, at=now)
        return await self._finish(uow, file, who, now)

    async def close(self, uow: DispatchUnitOfWork, case_id: str, who: Principal) -> CaseFile:
        """办结, only after a reply."""
        file, now = await self._own(uow, case_id, who), uow.clock()
        file.case.close(who.unit or "", at=now)
        return await self._finish(uow, file, who, now)

    async def coordinate(
        self,
        uow: DispatchUnitOfWork,
        case_id: str,
        who: Principal,
        *,
        lead_unit: str,
        assisting_units: list[str],
        instructions: str,
    ) -> CaseFile:
        """The coordination institution names the lead (主办) and assisting (协办) units (GZ Art. 10; SZ Art. 24)."""
        if who.role is not Role.COORDINATION:
            raise NotYourCase("only a coordination institution coordinates")
        file, now = (await load_scoped(uow, case_id, who.unit)).file, uow.clock()
        lead = self._department(lead_unit, "lead_unit")
        assisting = [self._department(u, "assisting_units") for u in assisting_units]
        case = file.case
        case.coordinate(who.unit or "", lead=lead, assisting=assisting, instructions=instructions, at=now)
        await uow.cases.end_assignments(case_id)
        await uow.cases.assign(case_id, who.unit or "", cycle=case.cycle, role="coordination", at=now)
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
        return await self._finish(uow, file, who, now, extra=dispatched, reason="coordinated")

    def _police_for(self, region_code: str) -> str:
        ref = self.ctx.reference
        police = None
        if region_code in ref.tree:
            police = ref.units.unit_of_kind(self.ctx.crime_unit_kind, region_code, UnitLevel.DISTRICT, ref.tree)
        if police is None:
            raise ValidationError("no public security unit covers the case's region; name to_unit")
        return police.code

    def _department(self, code: str | None, field: str) -> str:
        unit = self.ctx.reference.units.get(code) if code else None
        if unit is None:
            raise ValidationError(f"{field}: unknown unit {code!r}")
        if unit.is_coordination:
            raise ValidationError(f"{field}: {code} is a coordination institution, not a handling unit")
        return unit.code
