"""The department-side life of a case in dispatch: a state machine that records the events it causes.

The transition table is in ``transitions``, the handover actions (dispatch, coordination, return, transfer,
referral, police notice) in ``handover``; any other (action, state) pair raises IllegalTransition. Department actions
are allowed only to the case's current handler (NotYourCase otherwise); coordinate and escalate only to the
coordination institution holding the case. After `max_returns` returns in one cycle the case may no longer be
dispatched to a department: it goes to coordination (DOMAIN: returns are a tracked dispute, not a loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from caseflow_common.contracts.status import CaseStatus
from dispatch.domain import case_events as ev
from dispatch.domain.errors import ValidationError
from dispatch.domain.handover import CaseHandovers, require_text
from dispatch.domain.transitions import DEFAULT_MAX_RETURNS, TRANSITIONS, NextStep, ReturnOutcome

__all__ = ["DEFAULT_MAX_RETURNS", "TRANSITIONS", "NextStep", "ReturnOutcome", "WorkCase"]

S = CaseStatus


@dataclass
class WorkCase(CaseHandovers):
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
    returned_by: tuple[str, ...] = ()  # units that returned the case in this cycle: none gets it again
    handed_over_by: str | None = None  # the unit the case came from (return, transfer, referral, coordination)
    handover_reason: str | None = None  # and its reason, which travels with the case
    police_case_id: str | None = None  # the linked case public security got (GZ Art. 20 ¶3; SZ Art. 28 ¶2)
    linked_case_id: str | None = None  # on a police case: the case whose department notified public security
    events: list[ev.CaseEvent] = field(default_factory=list, repr=False, compare=False)

    # -- department actions ----------------------------------------------------------------------------------
    def accept(self, unit: str, *, at: datetime) -> ev.CaseAccepted:
        """The department signs for the case (签收)."""
        self._require("accept")
        self._require_handler(unit)
        self.status = S.ACCEPTED
        return self._record(ev.CaseAccepted, at=at)

    def note_progress(self, unit: str, note: str, *, at: datetime) -> ev.CaseProgressNoted:
        """Record handling progress."""
        self._require("note_progress")
        self._require_handler(unit)
        require_text(note, "a progress note cannot be empty")
        self.status = S.IN_PROGRESS
        return self._record(ev.CaseProgressNoted, at=at, note=note, role=self.role)

    def suspend(self, unit: str, reason: str, *, at: datetime) -> ev.CaseSuspended:
        """Pause handling while waiting on the requester (clocks pause)."""
        self._require("suspend")
        self._require_handler(unit)
        require_text(reason, "a suspension needs a reason")
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
        require_text(content, "a reply cannot be empty")
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
        self.returns, self.returned_by = 0, ()
        self.replied = False
        self.resolved = None
        self.needs_coordination = False
        self.assisting_units = ()
        self._came_from(None, None)
        return self._record(ev.CaseReopened, at=at, reason=reason)

    def leave_merge(self, *, unit: str | None) -> None:
        """A merged request (并单) followed its main case to closure; its requester was dissatisfied, so it leaves
        the main case and is handled on its own from here (each requester gets their own evaluation: GZ Art. 17)."""
        if self.status is not S.MERGED:
            raise ValidationError("only a merged request leaves its main case")
        self.status = S.CLOSED
        self.unit = unit or self.unit

    def merge(self, into_case_id: str, *, at: datetime) -> ev.CaseMerged:
        """The case joined another open case (并单); no further handling here."""
        self._require("merge")
        require_text(into_case_id, "the case merged into is required")
        if into_case_id == self.case_id:
            raise ValidationError("a case cannot be merged into itself")
        self.status = S.MERGED
        self.merged_into = into_case_id
        return self._record(ev.CaseMerged, at=at, into_case_id=into_case_id)
