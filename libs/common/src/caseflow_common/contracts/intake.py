"""Events intake publishes on ``caseflow.intake.v1``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field

from caseflow_common.events import Payload, register, tolerant


class Channel(StrEnum):
    """Where a case came from; with external_id it forms intake's idempotency key. The one definition."""

    HOTLINE = "hotline"  # 12345 热线
    GRID = "grid"  # 网格化管理 patrol findings
    OPEN311 = "open311"  # GeoReport v2 façade
    OTHER = "other"  # a channel a newer producer added, as an older consumer reads it


class Urgency(StrEnum):
    """Urgency tier of a case; selects the SLA policy (DOMAIN.md, Deadlines)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    NORMAL = "normal"
    INQUIRY = "inquiry"


class Satisfaction(StrEnum):
    """The requester's evaluation (评价). Read strictly: an evaluation nobody can read is counted as nothing."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


# Closed lists as consumers read them: an unknown value does not dead-letter the event.
ChannelField = Annotated[Channel, BeforeValidator(tolerant(Channel, Channel.OTHER))]
UrgencyField = Annotated[
    Urgency, BeforeValidator(tolerant(Urgency, Urgency.NORMAL))
]  # an unknown tier is handled on the normal deadlines


class MaskedRequester(Payload):
    """What departments may see of a requester: masked, never the raw identity (GZ Art. 15; SZ Art. 19)."""

    name: str | None = None
    phone: str | None = None


# Free text as it leaves intake (GZ Art. 15; SZ Art. 19); the original stays in intake, encrypted.
REDACTED = "as typed, with phone numbers, ID numbers, e-mail addresses, account numbers and names redacted by intake"


@register
class CaseReceived(Payload):
    """受理: a hotline or grid report became a case."""

    event_type = "CaseReceived"
    channel: ChannelField
    external_id: str
    kind: str = Field(default="request", description="complaint/request/report/inquiry/suggestion; grid: report")
    category: str
    category_name: str = ""
    urgency: UrgencyField
    description: str = Field(description=REDACTED)
    region_code: str
    region_path: list[str] = Field(
        default_factory=list, description="region codes from the case's region up to the city"
    )
    region_codes: list[str] = Field(
        default_factory=list,
        description="every region the report names, region_code first (a matter spanning districts names several; "
        "the lowest coordination institution covering them all takes it, GZ Art. 10; SZ Art. 24)",
    )
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    received_at: datetime
    anonymous: bool = False
    whistleblower: bool = False
    requester: MaskedRequester | None = Field(default=None, description="masked; null when identity is withheld")
    reporter_id: str | None = Field(default=None, description="grid member id for grid reports")
    repeat_of: str | None = Field(
        default=None, description="the open case this repeat request joins (并单); a CaseMerged follows"
    )


@register
class CaseMerged(Payload):
    """并单: a repeat request joined an open case; it keeps its own number, reply, visit and evaluation."""

    event_type = "CaseMerged"
    into_case_id: str
    category: str
    region_code: str
    region_path: list[str] = Field(default_factory=list)
    received_at: datetime
    channel: ChannelField = Channel.HOTLINE


@register
class VisitRecorded(Payload):
    """回访 / 评价: the hotline's return visit and the requester's evaluation.

    A case merged into another (并单) is visited under its own case id once its main case closed; each cycle may
    have several attempts, at most one of which reached the requester (and carries the evaluation).
    """

    event_type = "VisitRecorded"
    contacted: bool
    satisfaction: Satisfaction | None = None
    comment: str | None = Field(default=None, description=REDACTED)
    visited_at: datetime
    cycle: int = 1
    unit: str | None = Field(default=None, description="the unit that handled the cycle being evaluated")
    attempt: int = Field(
        default=1,
        description="the visit attempt within the cycle (1, 2, ...): attempts that could not reach the requester "
        "(contacted false, 联系不上) come before the one that did",
    )


@register
class CaseReopened(Payload):
    """A dissatisfied evaluation reopens the case for another handling cycle (GZ Art. 17)."""

    event_type = "CaseReopened"
    reason: str
    cycle: int
    unit: str | None = None
