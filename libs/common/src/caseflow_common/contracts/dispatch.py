"""Events dispatch publishes on ``caseflow.dispatch.v1``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from caseflow_common.events import Payload, register


class _UnitEvent(Payload):
    unit: str = Field(description="the acting / addressed unit code")
    at: datetime
    cycle: int = 1


class _RoutedEvent(_UnitEvent):
    """What every routing decision carries, so consumers need no lookup: the case's facts and the rule version."""

    unit_name: str = ""
    routing_version: int | None = None
    category: str = ""
    urgency: str = "normal"
    channel: str = "hotline"
    region_code: str = ""
    district_code: str | None = None
    received_at: datetime | None = None
    region_codes: list[str] = Field(
        default_factory=list, description="every region the report names (the case's region when it names one)"
    )
    from_unit: str | None = Field(
        default=None, description="the unit the case came from: it returned, transferred, referred or escalated it"
    )
    from_reason: str | None = Field(default=None, description="that unit's reason, travelling with the case")


@register
class CaseDispatched(_RoutedEvent):
    """派单: the case went to a department (sole handler, lead 主办 or assisting 协办)."""

    event_type = "CaseDispatched"
    role: Literal["sole", "lead", "assisting"] = "sole"
    rule_id: str | None = None
    reason: str | None = Field(
        default=None,
        description="why: rule, suspected_crime, redispatch (after a return), transfer, coordinated, reopened, "
        "police_notice (a linked case for public security, GZ Art. 20 ¶3; SZ Art. 28 ¶2)",
    )
    linked_case_id: str | None = Field(
        default=None,
        description="on a police_notice dispatch: the case whose handling department notified public security "
        "(this event's case_id is the police's own linked case, which has no CaseReceived)",
    )


@register
class CaseSentToCoordination(_RoutedEvent):
    """派单 to a coordination institution (GZ Art. 10; SZ Art. 24)."""

    event_type = "CaseSentToCoordination"
    level: str = ""
    reason: Literal["no_rule", "multi_department", "returns", "cross_region"] = "no_rule"
    cause: Literal["referred", "escalated"] | None = Field(
        default=None,
        description="set when a unit sent it: referred (a department asked for coordination, 提请协调) or escalated "
        "(an institution passed it up a level); from_unit and from_reason say who and why",
    )


@register
class CaseAccepted(_UnitEvent):
    """签收."""

    event_type = "CaseAccepted"


@register
class CaseReturned(_UnitEvent):
    """退单: not this unit's duty; a reason is required."""

    event_type = "CaseReturned"
    reason: str
    return_count: int = 1
    next_step: Literal["redispatch", "coordination"] = "redispatch"
    suggested_unit: str | None = None
    returned_by: list[str] = Field(
        default_factory=list, description="every unit that returned the case in this cycle (none gets it again)"
    )


@register
class CaseTransferred(_UnitEvent):
    """移送 to the unit that holds the duty (SZ Art. 25)."""

    event_type = "CaseTransferred"
    to_unit: str
    reason: str
    to_unit_name: str = ""
    role: Literal["sole", "lead", "assisting"] = Field(
        default="sole", description="the role the receiving unit takes (a lead's transfer hands on the lead)"
    )


@register
class CaseProgressNoted(_UnitEvent):
    """办理 note."""

    event_type = "CaseProgressNoted"
    note: str
    role: Literal["sole", "lead", "assisting"] | None = Field(
        default=None, description="the noting unit's role; assisting: a 协办 unit's note, not the handler's"
    )


@register
class CaseSuspended(_UnitEvent):
    """Waiting on the requester: clocks pause."""

    event_type = "CaseSuspended"
    reason: str


@register
class CaseResumed(_UnitEvent):
    event_type = "CaseResumed"
    reason: str = ""


@register
class CaseReplied(_UnitEvent):
    """答复."""

    event_type = "CaseReplied"
    content: str
    resolved: bool


@register
class CaseClosed(_UnitEvent):
    """办结 (only after a reply)."""

    event_type = "CaseClosed"
    resolved: bool | None = None


@register
class CaseCoordinated(_UnitEvent):
    """The coordination institution named a lead (主办) and assisting (协办) units."""

    event_type = "CaseCoordinated"
    lead_unit: str
    assisting_units: list[str] = Field(default_factory=list)
    instructions: str = ""


@register
class CasePartReplied(_UnitEvent):
    """An assisting unit (协办) answered its part to the lead (主办): its own part of the case is done (GZ Art. 10)."""

    event_type = "CasePartReplied"
    role: Literal["assisting"] = "assisting"
    lead_unit: str | None = None
    content: str


@register
class CasePoliceNotified(_UnitEvent):
    """The handling department notified public security of a suspected crime and keeps its own handling
    (GZ Art. 20 ¶3; SZ Art. 28 ¶2); the police get a linked case of their own (a CaseDispatched of
    ``linked_case_id`` with reason police_notice follows)."""

    event_type = "CasePoliceNotified"
    police_unit: str
    linked_case_id: str
    reason: str


@register
class CaseNoticeSent(_UnitEvent):
    """A unit the regulations say must be informed of such a case received a notice (read-only, no clocks), e.g.
    the mental-health centre of a case of severe mental disorder (SZ Art. 44)."""

    event_type = "CaseNoticeSent"
    role: Literal["notified"] = "notified"
    unit_name: str = ""
    category: str = ""
    region_code: str = ""
    basis: str = Field(default="", description="the article the notice comes from")


# The envelope key (case_id) of directory events: one partition keeps them in order, and audit keeps them as the
# directory's own hash-chained record (not a case: no loop, no figures).
DIRECTORY_RECORD = "directory"


class DirectoryEntry(Payload):
    """A unit or region as a directory change leaves it (a retired one with its last values)."""

    code: str
    name: str
    level: str
    kind: str | None = Field(default=None, description="units: the unit kind (coordination for an institution)")
    region: str | None = Field(default=None, description="units: the region it covers")
    parent: str | None = Field(default=None, description="regions: the region it lies in")
    bbox: list[float] | None = Field(default=None, description="grids: [min_lat, min_lon, max_lat, max_lon]")


@register
class DirectoryChanged(Payload):
    """A version of the directory dispatch keeps (GZ Art. 5; SZ Art. 8): a unit or region added, renamed or retired,
    in force from ``effective_from`` (a future date takes effect when it comes). Services that keep a copy of the
    directory (escalation: coordination areas, public security; intake: the regions reports may name) apply it as
    of its date; the envelope's case_id is ``directory``."""

    event_type = "DirectoryChanged"
    directory_version: int = Field(description="the directory version (1 is the seed: the directory files)")
    op: str = Field(
        description="add_unit, rename_unit, retire_unit, add_region, rename_region, retire_region (a consumer ignores "
        "an operation it does not know)"
    )
    code: str
    effective_from: datetime
    entry: DirectoryEntry | None = None
    reason: str | None = None
    replaced_by: str | None = Field(default=None, description="retire_unit: the unit that takes over its rules")
