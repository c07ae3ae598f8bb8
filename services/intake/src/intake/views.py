"""Response models of intake's API and how the hotline's case view and Open311's requests are put together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import Row

from intake.context import IntakeContext
from intake.domain.masking import requester_view
from intake.privacy import VaultError
from intake.repository import aware


class ReportAccepted(BaseModel):
    """The case a report became (or already was)."""

    case_id: str = Field(description="Case number to read over the phone.", examples=["GZ-20261121-000123"])
    status: str = Field(examples=["received"])
    received_at: datetime
    merged_into: str | None = Field(default=None, description="The open case this repeat request joined (并单).")


class ClockOut(BaseModel):
    """One deadline as escalation last computed it."""

    kind: str
    deadline: datetime | None
    state: str
    provisional: bool = False
    unit: str | None = None


class StepOut(BaseModel):
    """One thing that happened to the case."""

    event_type: str
    at: datetime
    unit: str | None = None
    note: str | None = None
    cycle: int = 1


class RequesterOut(BaseModel):
    """The requester as the hotline gave them."""

    name: str | None = None
    phone: str | None = None
    anonymous: bool = False


class CaseView(BaseModel):
    """A case as the hotline sees it: status, responsible unit, deadlines, the steps so far."""

    case_id: str
    status: str
    channel: str
    kind: str
    category: str
    category_name: str = ""
    urgency: str
    description: str
    region_code: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    received_at: datetime
    unit: str | None = None
    unit_name: str | None = None
    cycle: int = 1
    merged_into: str | None = None
    deadlines: list[ClockOut] = Field(default_factory=list)
    last_update: datetime
    steps: list[StepOut] = Field(default_factory=list)
    requester: RequesterOut | None = None


class VisitOut(BaseModel):
    """The visit recorded and what it did to the case."""

    case_id: str
    cycle: int = Field(description="The handling cycle the visit evaluated.")
    reopened: bool
    status: str


def clocks_of(raw: str) -> list[dict[str, Any]]:
    """The stored clocks of a projection row."""
    return list(orjson.loads(raw or "[]"))


def _open(ctx: IntakeContext, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return ctx.vault.decrypt(token)
    except VaultError:
        return None  # a retired key; the rest of the case is still worth showing


def case_view(case: Row, steps: list[Row], requester: Row | None, role: str, ctx: IntakeContext) -> CaseView:
    """The hotline's view of a case; the phone is decrypted for this view only."""
    who = None
    if requester is not None:
        view = requester_view(
            role,
            name=_open(ctx, requester.name_encrypted),
            phone=_open(ctx, requester.phone_encrypted),
            withheld=case.withheld,
            withheld_view_roles=ctx.withheld_view_roles,
        )
        if view is not None:
            who = RequesterOut(name=view.name, phone=view.phone, anonymous=requester.anonymous)
    category = ctx.categories.get(case.category)
    return CaseView(
        case_id=case.case_id,
        status=case.status,
        channel=case.channel,
        kind=case.kind,
        category=case.category,
        category_name=category.name if category else "",
        urgency=case.urgency,
        # The hotline took the call: it reads the description as given (departments get it redacted).
        description=_open(ctx, case.description_sealed) or case.description,
        region_code=case.region_code,
        address=case.address,
        lat=case.lat,
        lon=case.lon,
        received_at=aware(case.received_at),
        unit=case.unit,
        unit_name=case.unit_name,
        cycle=case.cycle,
        merged_into=case.merged_into,
        deadlines=[ClockOut.model_validate(c) for c in clocks_of(case.clocks)],
        last_update=aware(case.updated_at),
        steps=[
            StepOut(event_type=s.event_type, at=aware(s.at), unit=s.unit, note=s.note, cycle=s.cycle) for s in steps
        ],
        requester=who,
    )
