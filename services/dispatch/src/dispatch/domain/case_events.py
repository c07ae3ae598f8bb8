"""Domain events a work case records; the handler layer writes them to the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseEvent:
    """Common facts of every case event."""

    # False for events that only mirror a fact another service already published.
    publish: ClassVar[bool] = True

    case_id: str
    at: datetime
    cycle: int
    unit: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseDispatched(CaseEvent):
    """The case went to a department (unit) in a role."""

    role: str
    rule_id: str | None = None
    routing_version: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseSentToCoordination(CaseEvent):
    """The case went to a coordination institution (unit) at a level."""

    level: str
    reason: str
    routing_version: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseAccepted(CaseEvent):
    """The department signed for the case (签收)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseReturned(CaseEvent):
    """The department returned the case as not its duty (退单)."""

    reason: str
    returns: int
    next_step: str  # "redispatch" | "coordination"
    suggested_unit: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseTransferred(CaseEvent):
    """The department handed the case to the department holding the duty (移送, SZ Art. 25)."""

    to_unit: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseProgressNoted(CaseEvent):
    """The handler recorded progress."""

    note: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseSuspended(CaseEvent):
    """Handling waits on the requester; clocks pause."""

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseResumed(CaseEvent):
    """Handling continues after a suspension."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseReplied(CaseEvent):
    """The handler replied to the requester (答复)."""

    content: str
    resolved: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseClosed(CaseEvent):
    """The handler closed the case (办结)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseCoordinated(CaseEvent):
    """The coordination institution (unit) named a lead and assisting departments."""

    lead_unit: str
    assisting_units: tuple[str, ...]
    instructions: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseReopened(CaseEvent):
    """A new handling cycle began (mirrors intake's CaseReopened; not republished)."""

    publish: ClassVar[bool] = False

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseMerged(CaseEvent):
    """The case joined another open case (mirrors intake's CaseMerged; not republished)."""

    publish: ClassVar[bool] = False

    into_case_id: str
