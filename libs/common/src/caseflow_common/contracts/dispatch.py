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


@register
class CaseDispatched(_RoutedEvent):
    """派单: the case went to a department (sole handler, lead 主办 or assisting 协办)."""

    event_type = "CaseDispatched"
    role: Literal["sole", "lead", "assisting"] = "sole"
    rule_id: str | None = None
    reason: str | None = Field(
        default=None,
        description="why: rule, suspected_crime, redispatch (after a return), transfer, coordinated, reopened",
    )


@register
class CaseSentToCoordination(_RoutedEvent):
    """派单 to a coordination institution (GZ Art. 10; SZ Art. 24)."""

    event_type = "CaseSentToCoordination"
    level: str = ""
    reason: Literal["no_rule", "multi_department", "returns", "cross_region"] = "no_rule"


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


@register
class CaseTransferred(_UnitEvent):
    """移送 to the unit that holds the duty (SZ Art. 25)."""

    event_type = "CaseTransferred"
    to_unit: str
    reason: str


@register
class CaseProgressNoted(_UnitEvent):
    """办理 note."""

    event_type = "CaseProgressNoted"
    note: str


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
