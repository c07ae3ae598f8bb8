"""Where a work case goes and who it came from: dispatch, coordination (naming a lead, passing up a level),
returns (退单), transfers (移送), referrals (提请协调) and the notice to public security. ``WorkCase`` (lifecycle)
inherits these actions; the transition table is in ``transitions``.

A case is never dispatched again to a unit that returned it in the same cycle, and the unit a case came from travels
with it, with its reason (DOMAIN clarifications, 2026-11-30).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from caseflow_common.contracts.status import CaseStatus
from dispatch.domain import case_events as ev
from dispatch.domain.errors import IllegalTransition, NotYourCase, ValidationError
from dispatch.domain.transitions import DEFAULT_MAX_RETURNS, TRANSITIONS, NextStep, ReturnOutcome

E = TypeVar("E", bound=ev.CaseEvent)
S = CaseStatus


class CaseHandovers:
    """The handover actions of a work case and the helpers every action uses (the state lives in WorkCase)."""

    case_id: str
    status: CaseStatus
    unit: str | None
    role: str
    returns: int
    transfers: int
    cycle: int
    assisting_units: tuple[str, ...]
    coordination_unit: str | None
    needs_coordination: bool
    merged_into: str | None
    returned_by: tuple[str, ...]
    handed_over_by: str | None
    handover_reason: str | None
    police_case_id: str | None
    linked_case_id: str | None
    replied: bool
    resolved: bool | None
    suspended_from: CaseStatus | None
    events: list[ev.CaseEvent]

    # -- routing ---------------------------------------------------------------------------------------------
    def dispatch(
        self,
        to_unit: str,
        *,
        at: datetime,
        role: str = "sole",
        rule_id: str | None = None,
        routing_version: int | None = None,
    ) -> ev.CaseDispatched:
        """Send the case to one department."""
        self._require("dispatch")
        require_text(to_unit, "a target unit is required")
        if self.needs_coordination:
            raise IllegalTransition("after the maximum number of returns the case goes to coordination")
        if to_unit in self.returned_by:
            raise IllegalTransition(f"{to_unit} returned this case; a return never goes back to the same unit")
        self._hand_to(to_unit, role)
        self.status = S.DISPATCHED
        return self._record(
            ev.CaseDispatched,
            at=at,
            role=role,
            rule_id=rule_id,
            routing_version=routing_version,
            linked_case_id=self.linked_case_id,
            **self.origin(),
        )

    def send_to_coordination(
        self,
        coord_unit: str,
        *,
        at: datetime,
        level: str,
        reason: str,
        routing_version: int | None = None,
    ) -> ev.CaseSentToCoordination:
        """Send the case to a coordination institution (GZ Art. 10; SZ Art. 24)."""
        self._require("send_to_coordination")
        return self._to_coordination(coord_unit, at=at, level=level, reason=reason, routing_version=routing_version)

    def coordinate(
        self,
        coord_unit: str,
        *,
        lead: str,
        assisting: tuple[str, ...] | list[str] = (),
        instructions: str = "",
        at: datetime,
    ) -> ev.CaseCoordinated:
        """The coordination institution names a lead (主办) and assisting (协办) departments."""
        self._require("coordinate")
        self._require_handler(coord_unit)
        require_text(lead, "a lead department is required")
        assisting = tuple(dict.fromkeys(assisting))
        if lead in assisting:
            raise ValidationError("the lead department cannot also be an assisting department")
        event = self._record(
            ev.CaseCoordinated, at=at, lead_unit=lead, assisting_units=assisting, instructions=instructions
        )
        self.coordination_unit = coord_unit
        self._hand_to(lead, "lead")
        self._came_from(coord_unit, instructions or None)
        self.assisting_units = assisting
        self.status = S.DISPATCHED
        return event

    def escalate(
        self, coord_unit: str, to_unit: str, reason: str, *, at: datetime, level: str, routing_reason: str
    ) -> ev.CaseSentToCoordination:
        """The institution holding the case passes it up a level (GZ Art. 10; SZ Art. 24)."""
        self._require("escalate")
        self._require_handler(coord_unit)
        require_text(reason, "passing a case up a level needs a reason")
        if to_unit == coord_unit:
            raise ValidationError("a case cannot be passed up to the institution that holds it")
        self._came_from(coord_unit, reason)
        return self._to_coordination(to_unit, at=at, level=level, reason=routing_reason, cause="escalated")

    # -- handing the case on ----------------------------------------------------------------------------------
    def return_(
        self,
        unit: str,
        reason: str,
        *,
        at: datetime,
        max_returns: int = DEFAULT_MAX_RETURNS,
        suggested_unit: str | None = None,
    ) -> ReturnOutcome:
        """The department returns the case as not its duty (退单); a reason is required."""
        self._require("return_")
        self._require_handler(unit)
        require_text(reason, "a return needs a reason")
        if max_returns < 1:
            raise ValidationError("max_returns must be at least 1")
        if suggested_unit is not None and (suggested_unit == unit or suggested_unit in self.returned_by):
            raise ValidationError(f"suggested_unit: {suggested_unit} returned this case already")
        self.returns += 1
        self.returned_by = (*dict.fromkeys((*self.returned_by, unit)),)
        step = NextStep.COORDINATION if self.returns >= max_returns else NextStep.REDISPATCH
        self._record(
            ev.CaseReturned,
            at=at,
            reason=reason,
            returns=self.returns,
            next_step=step.value,
            suggested_unit=suggested_unit,
            returned_by=self.returned_by,
        )
        self._came_from(unit, reason)
        self.needs_coordination = step is NextStep.COORDINATION
        self.status = S.RECEIVED
        self.unit = None
        self.role = "sole"
        return ReturnOutcome(step, self.returns, suggested_unit)

    def transfer(self, unit: str, to_unit: str, reason: str, *, at: datetime) -> ev.CaseTransferred:
        """Hand the case to the department that holds the duty (移送, SZ Art. 25; crime to 公安)."""
        self._require("transfer")
        self._require_handler(unit)
        require_text(to_unit, "a target unit is required")
        require_text(reason, "a transfer needs a reason")
        if to_unit == unit:
            raise ValidationError("a case cannot be transferred to the unit that holds it")
        event = self._record(ev.CaseTransferred, at=at, to_unit=to_unit, reason=reason, role=self.role)
        self.transfers += 1
        self._came_from(unit, reason)
        self._hand_to(to_unit, self.role)
        self.status = S.DISPATCHED
        return event

    def refer(self, unit: str, coord_unit: str, reason: str, *, at: datetime, level: str) -> ev.CaseSentToCoordination:
        """提请协调: the handling department asks the coordination institution to take the case (GZ Art. 10;
        SZ Art. 24: a matter needing several departments is reported to the coordination institution)."""
        self._require("refer")
        self._require_handler(unit)
        require_text(reason, "asking for coordination needs a reason")
        self._came_from(unit, reason)
        self.assisting_units = ()
        return self._to_coordination(coord_unit, at=at, level=level, reason="multi_department", cause="referred")

    def leave_retired_unit(self, unit: str, reason: str) -> None:
        """The unit holding the case left the directory (GZ Art. 5; SZ Art. 8): the case awaits routing again, as
        after a return but without counting one; the retired unit travels with it as where it came from."""
        if self.status in {S.CLOSED, S.MERGED} or unit != self.unit:
            raise IllegalTransition(f"case {self.case_id} is not open with {unit}")
        self._came_from(unit, reason)
        self.status, self.suspended_from = S.RECEIVED, None
        self.replied, self.resolved = False, None
        self.unit, self.role = None, "sole"

    def notify_police(
        self, unit: str, police_unit: str, linked_case_id: str, reason: str, *, at: datetime
    ) -> ev.CasePoliceNotified:
        """Tell public security of a suspected crime and keep handling the case (GZ Art. 20 ¶3; SZ Art. 28 ¶2)."""
        self._require("notify_police")
        self._require_handler(unit)
        require_text(reason, "a notice to public security needs a reason")
        if self.police_case_id is not None:
            raise IllegalTransition(f"public security was notified already (case {self.police_case_id})")
        if police_unit == unit:
            raise ValidationError("a public security unit does not notify itself")
        self.police_case_id = linked_case_id
        return self._record(
            ev.CasePoliceNotified, at=at, police_unit=police_unit, linked_case_id=linked_case_id, reason=reason
        )

    # -- helpers ---------------------------------------------------------------------------------------------
    def pull_events(self) -> list[ev.CaseEvent]:
        """Hand over and forget the recorded events (the unit of work puts them in the outbox)."""
        events, self.events = self.events, []
        return events

    def _to_coordination(
        self,
        coord_unit: str,
        *,
        at: datetime,
        level: str,
        reason: str,
        routing_version: int | None = None,
        cause: str | None = None,
    ) -> ev.CaseSentToCoordination:
        require_text(coord_unit, "a coordination institution is required")
        require_text(reason, "a reason for coordination is required")
        self._hand_to(coord_unit, "sole")
        self.status = S.COORDINATING
        self.needs_coordination = False
        return self._record(
            ev.CaseSentToCoordination,
            at=at,
            level=level,
            reason=reason,
            routing_version=routing_version,
            cause=cause,
            **self.origin(),
        )

    def _require(self, action: str) -> None:
        allowed, reason = TRANSITIONS[action]
        if self.status in allowed:
            return
        if self.status is S.MERGED:
            raise IllegalTransition(f"the case was merged into {self.merged_into}; act on that case")
        if self.status is S.SUSPENDED and action in {"reply", "note_progress", "close"}:
            raise IllegalTransition("a suspended case must be resumed first")
        raise IllegalTransition(f"{reason} (the case is {self.status.value})")

    def _require_handler(self, unit: str) -> None:
        if not unit or unit != self.unit:
            raise NotYourCase(f"unit {unit} does not handle case {self.case_id}")

    def _hand_to(self, unit: str, role: str) -> None:
        self.unit = unit
        self.role = role

    def _came_from(self, unit: str | None, reason: str | None) -> None:
        self.handed_over_by, self.handover_reason = unit, reason

    def origin(self) -> dict[str, str | None]:
        """Where the case came from and why (the fields every routing event carries)."""
        return {"from_unit": self.handed_over_by, "from_reason": self.handover_reason}

    def _record(self, event_type: type[E], *, at: datetime, **fields: object) -> E:
        event = event_type(case_id=self.case_id, at=at, cycle=self.cycle, unit=self.unit, **fields)
        self.events.append(event)
        return event


def require_text(value: str | None, message: str) -> None:
    """ValidationError with the message when the text is missing or blank."""
    if value is None or not str(value).strip():
        raise ValidationError(message)
