"""What dispatch's events make of the case status hotline systems see: status, responsible unit, the step's note."""

from __future__ import annotations

from collections.abc import Mapping

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.status import CaseStatus

# The dispatch events the status projection follows.
DispatchEvent = (
    d.CaseDispatched
    | d.CaseSentToCoordination
    | d.CaseCoordinated
    | d.CaseAccepted
    | d.CaseReturned
    | d.CaseTransferred
    | d.CaseProgressNoted
    | d.CaseSuspended
    | d.CaseResumed
    | d.CaseReplied
    | d.CaseClosed
)

# What each dispatch event makes of the case's status; None keeps the status (the step is still recorded).
STATUS_AFTER: Mapping[type[DispatchEvent], CaseStatus | None] = {
    d.CaseDispatched: CaseStatus.DISPATCHED,
    d.CaseSentToCoordination: CaseStatus.COORDINATING,
    d.CaseCoordinated: CaseStatus.DISPATCHED,
    d.CaseAccepted: CaseStatus.ACCEPTED,
    d.CaseReturned: CaseStatus.RECEIVED,  # back with dispatch, waiting for the next department
    d.CaseTransferred: CaseStatus.DISPATCHED,
    d.CaseProgressNoted: CaseStatus.IN_PROGRESS,
    d.CaseSuspended: CaseStatus.SUSPENDED,
    d.CaseResumed: CaseStatus.IN_PROGRESS,
    d.CaseReplied: CaseStatus.REPLIED,
    d.CaseClosed: CaseStatus.CLOSED,
}
# A repeat request (并单) waits on its open case and takes over its reply and closure; each requester then gets
# their own return visit and evaluation, and each one's loop completes on its own (DOMAIN.md, 2026-11-30).
FOLLOWED: frozenset[type[DispatchEvent]] = frozenset({d.CaseReplied, d.CaseClosed})
# The statuses of a merged request still waiting on its main case; once closed it goes its own way (visit, reopen).
WAITING: frozenset[CaseStatus] = frozenset({CaseStatus.MERGED, CaseStatus.REPLIED})


def status_after(event: DispatchEvent) -> CaseStatus | None:
    """The case's status after the event, or None when it keeps its status (an assisting unit joined)."""
    if isinstance(event, d.CaseDispatched) and event.role == "assisting":
        return None
    return STATUS_AFTER.get(type(event))


def late_routing(event: DispatchEvent, current: str, cycle: int) -> bool:
    """A routing event that arrives after the case was already replied or closed in the same cycle: a merged
    request's own routing (dispatch routed it before the merge) read after it took over its main case's closure.
    It never moves the case back."""
    routing = isinstance(event, d.CaseDispatched | d.CaseSentToCoordination | d.CaseCoordinated)
    return routing and event.cycle == cycle and CaseStatus(current) in (CaseStatus.REPLIED, CaseStatus.CLOSED)


def follows(event: DispatchEvent) -> bool:
    """True when cases merged into this one take over the event (the reply and the closure)."""
    return type(event) in FOLLOWED


def taken_over(event: DispatchEvent, follower_status: str) -> list[str]:
    """The main case's steps a merged request waiting on it takes over with this event, in order: the reply, and
    the closure (after the reply when the request joined the main case once it had already replied)."""
    if CaseStatus(follower_status) not in WAITING:
        return []
    if isinstance(event, d.CaseReplied):
        return [d.CaseReplied.event_type]
    if isinstance(event, d.CaseClosed):
        missed_reply = CaseStatus(follower_status) is CaseStatus.MERGED
        return [d.CaseReplied.event_type, d.CaseClosed.event_type] if missed_reply else [d.CaseClosed.event_type]
    return []


def step_note(event: DispatchEvent) -> str | None:
    """The short note the case's step shows for the event."""
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


def unit_after(event: DispatchEvent, current: str | None) -> tuple[str | None, bool]:
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


def unit_name(event: DispatchEvent) -> str | None:
    """The name of the unit a routing decision names, when the event carries one."""
    if isinstance(event, d.CaseDispatched | d.CaseSentToCoordination):
        return event.unit_name or None
    return None
