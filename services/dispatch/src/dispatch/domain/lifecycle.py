"""The department-side life of a case in dispatch: a state machine that records the events it causes.

Transition table (action: from -> to). Any other (action, state) pair raises IllegalTransition.

| action                | from                               | to                                   |
|-----------------------|------------------------------------|--------------------------------------|
| dispatch              | received, reopened                 | dispatched                           |
| send_to_coordination  | received, reopened                 | coordinating                         |
| coordinate            | coordinating                       | dispatched (to the lead, 主办)        |
| accept (签收)          | dispatched                         | accepted                             |
| return_ (退单)         | dispatched, accepted               | received (awaiting re-dispatch / coordination) |
| transfer (移送)        | dispatched, accepted, in_progress  | dispatched (to the other unit)       |
| note_progress         | accepted, in_progress              | in_progress                          |
| suspend               | accepted, in_progress              | suspended                            |
| resume                | suspended                          | the state it was suspended from      |
| reply (答复)           | accepted, in_progress              | replied                              |
| close (办结)           | replied                            | closed                               |
| reopen                | replied, closed                    | reopened (new cycle)                 |
| merge (并单)           | received, dispatched, coordinating | merged (final)                       |

Department actions are allowed only to the case's current handler (NotYourCase otherwise); coordinate only to
the coordination institution holding the case. After `max_returns` returns in one cycle the case may no longer be
dispatched to a department: it goes to coordination (DOMAIN: returns are a tracked dispute, not a loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from caseflow_common.contracts.status import CaseStatus
from dispatch.domain import case_events as ev
from dispatch.domain.errors import IllegalTransition, NotYourCase, ValidationError

DEFAULT_MAX_RETURNS = 2
E = TypeVar("E", bound=ev.CaseEvent)


class NextStep(StrEnum):
    """What happens to a case after a return."""

    REDISPATCH = "redispatch"
    COORDINATION = "coordination"


S = CaseStatus
# action -> (states it is allowed from, the reason shown when it is not)
TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], str]] = {
    "dispatch": (frozenset({S.RECEIVED, S.REOPENED}), "only a received or reopened case can be dispatched"),
    "send_to_coordination": (
        frozenset({S.RECEIVED, S.REOPENED}),
        "only a received or reopened case can be sent to coordination",
    ),
    "coordinate": (frozenset({S.COORDINATING}), "only a case under coordination can be given a lead department"),
    "accept": (frozenset({S.DISPATCHED}), "only a dispatched case can be signed for"),
    "return_": (frozenset({S.DISPATCHED, S.ACCEPTED}), "a case can be returned only before handling starts"),
    "transfer": (
        frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS}),
        "a case can be transferred only while a department holds it and has not replied",
    ),
    "note_progress": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "progress can be noted only on a signed-for case"),
    "suspend": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "only a case being handled can be suspended"),
    "resume": (frozenset({S.SUSPENDED}), "only a suspended case can be resumed"),
    "reply": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "a case can be replied to only after it is signed for"),
    "close": (frozenset({S.REPLIED}), "a case can be closed only after a reply"),
    "reopen": (frozenset({S.REPLIED, S.CLOSED}), "only a replied or closed case can be reopened"),
    "merge": (
        frozenset({S.RECEIVED, S.DISPATCHED, S.COORDINATING}),
        "only a case not yet signed for can be merged into another",
    ),
}


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    """Result of a return: re-dispatch, or coordination once the returns reach the limit."""

    next_step: NextStep
    returns: int
    suggested_unit: str | None = None


@dataclass
class WorkCase:
    """One case's handling state in dispatch; methods enforce the transition table and record events."""

    case_id: str
    status: CaseStatus = CaseStatus.RECEIVED
    unit: str | None = None  # current handler (department or coordination institution); previous one when reopened
    role: str = "sole"
    returns: int = 0  # returns within the current cycle
    transfers: int = 0
    cycle: int = 1
    replied: bool = False
    resolved: bool | None = None
    assisting_units: tuple[str, ...] = ()
    coordination_unit: str | None = None
    needs_coordination: bool = False
    suspended_from: CaseStatus | None = None
    merged_into: str | None = None
    events: list[ev.CaseEvent] = field(default_factory=list, repr=False, compare=False)

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
        _require_text(to_unit, "a target unit is required")
        if self.needs_coordination:
            raise IllegalTransition("after the maximum number of returns the case goes to coordination")
        self._hand_to(to_unit, role)
        self.status = S.DISPATCHED
        return self._record(ev.CaseDispatched, at=at, role=role, rule_id=rule_id, routing_version=routing_version)

    def send_to_coordination(
        self, coord_unit: str, *, at: datetime, level: str, reason: str, routing_version: int | None = None
    ) -> ev.CaseSentToCoordination:
        """Send the case to a coordination institution (GZ Art. 10; SZ Art. 24)."""
        self._require("send_to_coordination")
        _require_text(coord_unit, "a coordination institution is required")
        _require_text(reason, "a reason for coordination is required")
        self._hand_to(coord_unit, "sole")
        self.status = S.COORDINATING
        self.needs_coordination = False
        return self._record(
            ev.CaseSentToCoordination, at=at, level=level, reason=reason, routing_version=routing_version
        )

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
        _require_text(lead, "a lead department is required")
        assisting = tuple(dict.fromkeys(assisting))
        if lead in assisting:
            raise ValidationError("the lead department cannot also be an assisting department")
        event = self._record(
            ev.CaseCoordinated, at=at, lead_unit=lead, assisting_units=assisting, instructions=instructions
        )
        self.coordination_unit = coord_unit
        self._hand_to(lead, "lead")
        self.assisting_units = assisting
        self.status = S.DISPATCHED
        return event

    # -- department actions ----------------------------------------------------------------------------------
    def accept(self, unit: str, *, at: datetime) -> ev.CaseAccepted:
        """The department signs for the case (签收)."""
        self._require("accept")
        self._require_handler(unit)
        self.status = S.ACCEPTED
        return self._record(ev.CaseAccepted, at=at)

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
        _require_text(reason, "a return needs a reason")
        if max_returns < 1:
            raise ValidationError("max_returns must be at least 1")
        self.returns += 1
        step = NextStep.COORDINATION if self.returns >= max_returns else NextStep.REDISPATCH
        self._record(
            ev.CaseReturned,
            at=at,
            reason=reason,
            returns=self.returns,
            next_step=step.value,
            suggested_unit=suggested_unit,
        )
        self.needs_coordination = step is NextStep.COORDINATION
        self.status = S.RECEIVED
        self.unit = None
        self.role = "sole"
        return ReturnOutcome(step, self.returns, suggested_unit)

    def transfer(self, unit: str, to_unit: str, reason: str, *, at: datetime) -> ev.CaseTransferred:
        """Hand the case to the department that holds the duty (移送, SZ Art. 25; crime to 公安)."""
        self._require("transfer")
        self._require_handler(unit)
        _require_text(to_unit, "a target unit is required")
        _require_text(reason, "a transfer needs a reason")
        if to_unit == unit:
            raise ValidationError("a case cannot be transferred to the unit that holds it")
        event = self._record(ev.CaseTransferred, at=at, to_unit=to_unit, reason=reason)
        self.transfers += 1
        self._hand_to(to_unit, self.role)
        self.status = S.DISPATCHED
        return event

    def note_progress(self, unit: str, note: str, *, at: datetime) -> ev.CaseProgressNoted:
        """Record handling progress."""
        self._require("note_progress")
        self._require_handler(unit)
        _require_text(note, "a progress note cannot be empty")
        self.status = S.IN_PROGRESS
        return self._record(ev.CaseProgressNoted, at=at, note=note)

    def suspend(self, unit: str, reason: str, *, at: datetime) -> ev.CaseSuspended:
        """Pause handling while waiting on the requester (clocks pause)."""
        self._require("suspend")
        self._require_handler(unit)
        _require_text(reason, "a suspension needs a reason")
        self.suspended_from = self.status
        self.status = S.SUSPENDED
        return self._record(ev.CaseSuspended, at=at, reason=reason)

    def resume(self, unit: str, *, at: datetime) -> ev.CaseResumed:
        """Continue handling after a suspension."""
        self._require("resume")
        self._require_handler(unit)
        self.status = self.suspended_from or S.IN_PROGRESS
        self.suspended_from = None
        return self._record(ev.CaseResumed, at=at)

    def reply(self, unit: str, content: str, *, resolved: bool, at: datetime) -> ev.CaseReplied:
        """Reply to the requester (答复)."""
        self._require("reply")
        self._require_handler(unit)
        _require_text(content, "a reply cannot be empty")
        self.status = S.REPLIED
        self.replied = True
        self.resolved = resolved
        return self._record(ev.CaseReplied, at=at, content=content, resolved=resolved)

    def close(self, unit: str, *, at: datetime) -> ev.CaseClosed:
        """Close the case (办结); only after a reply."""
        self._require("close")
        self._require_handler(unit)
        self.status = S.CLOSED
        return self._record(ev.CaseClosed, at=at)

    # -- facts from intake -----------------------------------------------------------------------------------
    def reopen(self, cycle: int, *, at: datetime, reason: str = "") -> ev.CaseReopened:
        """Start a new handling cycle after a dissatisfied evaluation; `cycle` must be newer."""
        self._require("reopen")
        if cycle <= self.cycle:
            raise ValidationError(f"cycle {cycle} is not newer than the current cycle {self.cycle}")
        self.cycle = cycle
        self.status = S.REOPENED
        self.returns = 0
        self.replied = False
        self.resolved = None
        self.needs_coordination = False
        self.assisting_units = ()
        return self._record(ev.CaseReopened, at=at, reason=reason)

    def merge(self, into_case_id: str, *, at: datetime) -> ev.CaseMerged:
        """The case joined another open case (并单); no further handling here."""
        self._require("merge")
        _require_text(into_case_id, "the case merged into is required")
        if into_case_id == self.case_id:
            raise ValidationError("a case cannot be merged into itself")
        self.status = S.MERGED
        self.merged_into = into_case_id
        return self._record(ev.CaseMerged, at=at, into_case_id=into_case_id)

    # -- helpers ---------------------------------------------------------------------------------------------
    def pull_events(self) -> list[ev.CaseEvent]:
        """Hand over and forget the recorded events (the unit of work puts them in the outbox)."""
        events, self.events = self.events, []
        return events

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

    def _record(self, event_type: type[E], *, at: datetime, **fields: object) -> E:
        event = event_type(case_id=self.case_id, at=at, cycle=self.cycle, unit=self.unit, **fields)
        self.events.append(event)
        return event


def _require_text(value: str | None, message: str) -> None:
    if value is None or not str(value).strip():
        raise ValidationError(message)
