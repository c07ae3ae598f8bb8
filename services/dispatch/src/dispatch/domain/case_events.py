"""Domain events a work case records; the handler layer writes them to the outbox."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

# The fields every case event carries; an action log entry keeps the others as its detail.
COMMON_FIELDS = frozenset({"case_id", "at", "cycle", "unit"})


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
    from_unit: str | None = None  # the unit the case came from, and its reason (they travel with the case)
    from_reason: str | None = None
    linked_case_id: str | None = None  # a police case: the case whose department notified public security


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseSentToCoordination(CaseEvent):
    """The case went to a coordination institution (unit) at a level."""

    level: str
    reason: str
    routing_version: int | None = None
    cause: str | None = None  # referred (提请协调) / escalated (passed up a level)
    from_unit: str | None = None
    from_reason: str | None = None


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
    returned_by: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseTransferred(CaseEvent):
    """The department handed the case to the department holding the duty (移送, SZ Art. 25)."""

    to_unit: str
    reason: str
    role: str = "sole"  # the role the receiving unit takes


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseProgressNoted(CaseEvent):
    """The handler, or an assisting unit (role assisting), recorded progress."""

    note: str
    role: str | None = None


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
class CasePartReplied(CaseEvent):
    """An assisting unit (协办, unit) answered its part to the lead (GZ Art. 10; SZ Art. 24)."""

    lead_unit: str | None
    content: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CasePoliceNotified(CaseEvent):
    """The handling department notified public security, keeping its own handling (GZ Art. 20 ¶3; SZ Art. 28 ¶2)."""

    police_unit: str
    linked_case_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseNoticeSent(CaseEvent):
    """A unit that must be informed of such cases (unit) got a read-only notice, e.g. SZ Art. 44."""

    basis: str


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


_DETAIL_FIELDS: dict[type, tuple[str, ...]] = {}


def _detail_fields(kind: type[CaseEvent]) -> tuple[str, ...]:
    names = _DETAIL_FIELDS.get(kind)
    if names is None:
        names = _DETAIL_FIELDS[kind] = tuple(f.name for f in fields(kind) if f.name not in COMMON_FIELDS)
    return names


def detail_of(event: CaseEvent) -> dict[str, Any]:
    """An event's own fields, beyond the common ones, as the action log keeps them (tuples as lists). Read straight
    off the frozen event: every field is a value (text, number, flag, time, a tuple of codes), so nothing needs the
    deep copy ``dataclasses.asdict`` makes of each."""
    out: dict[str, Any] = {}
    for name in _detail_fields(type(event)):
        value = getattr(event, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out
