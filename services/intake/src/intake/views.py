"""Response models of intake's API and how the hotline's case view and Open311's requests are put together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from sqlalchemy import Row

from caseflow_common.db import as_utc
from intake.context import IntakeContext
from intake.domain.masking import DEFAULT_FULL_VIEW_ROLES, requester_view
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
    email: str | None = Field(default=None, description="Given through Open311 (absent when not given).")
    device_id: str | None = Field(default=None, description="Given through Open311 (absent when not given).")
    account_id: str | None = Field(default=None, description="Given through Open311 (absent when not given).")

    @model_serializer(mode="wrap")
    def _open311_contacts_when_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        shown: dict[str, Any] = handler(self)
        return {k: v for k, v in shown.items() if v is not None or k not in _OPEN311_CONTACTS}


_OPEN311_CONTACTS = frozenset({"email", "device_id", "account_id"})


class ReplyOut(BaseModel):
    """The department's latest reply (答复)."""

    content: str = Field(description="What the department answered.")
    resolved: bool | None = Field(default=None, description="Whether the department says the matter is resolved.")
    at: datetime | None = None


class VisitView(BaseModel):
    """One return-visit attempt (回访) and, when it reached the requester, their evaluation (评价)."""

    cycle: int = Field(description="The handling cycle the attempt belongs to.")
    attempt: int = Field(description="1, 2, ... within the cycle; attempts that did not reach the requester first.")
    contacted: bool
    satisfaction: str | None = None
    comment: str = ""
    visited_at: datetime


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
    media_url: str | None = Field(default=None, description="Open311's link to a photo or other media of the matter.")
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Open311's answers to the service definition, by attribute code."
    )
    received_at: datetime
    unit: str | None = None
    unit_name: str | None = None
    cycle: int = 1
    merged_into: str | None = None
    deadlines: list[ClockOut] = Field(default_factory=list)
    last_update: datetime
    steps: list[StepOut] = Field(default_factory=list)
    requester: RequesterOut | None = None
    reply: ReplyOut | None = Field(
        default=None, description="The latest reply; a merged request shows its main case's."
    )
    visits: list[VisitView] = Field(default_factory=list, description="Every visit attempt and evaluation, per cycle.")


class VisitOut(BaseModel):
    """The visit recorded and what it did to the case."""

    case_id: str
    cycle: int = Field(description="The handling cycle the visit evaluated.")
    attempt: int = Field(default=1, description="The attempt within the cycle (联系不上 attempts count too).")
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


def reply_of(row: Row) -> ReplyOut | None:
    """The latest reply stored on a projection row, if the case has one."""
    if row.reply is None:
        return None
    return ReplyOut(content=row.reply, resolved=row.reply_resolved, at=as_utc(row.replied_at))


def case_view(
    case: Row,
    steps: list[Row],
    requester: Row | None,
    role: str,
    ctx: IntakeContext,
    visits: Sequence[Row] = (),
) -> CaseView:
    """The hotline's view of a case; the phone is decrypted for this view only."""
    category = ctx.categories.get(case.category)
    # Marked when stored; a category the catalogue has since made a whistleblower one is protected as well.
    whistleblower = bool(case.whistleblower or (category is not None and category.whistleblower))
    who, view = None, None
    if requester is not None:
        view = requester_view(
            role,
            name=_open(ctx, requester.name_encrypted),
            phone=_open(ctx, requester.phone_encrypted),
            withheld=case.withheld,
            whistleblower=whistleblower,
            withheld_view_roles=ctx.withheld_view_roles,
            whistleblower_view_roles=ctx.whistleblower_view_roles,
            contacts={
                "email": _open(ctx, requester.email_encrypted),
                "device_id": _open(ctx, requester.device_id_encrypted),
                "account_id": _open(ctx, requester.account_id_encrypted),
            },
        )
        if view is not None:
            who = RequesterOut(
                name=view.name,
                phone=view.phone,
                anonymous=requester.anonymous,
                email=view.email,
                device_id=view.device_id,
                account_id=view.account_id,
            )
    # The text as given names the requester too: only for whom the identity is shown (a whistleblower's: nobody).
    originals = role in DEFAULT_FULL_VIEW_ROLES and (view is not None or not whistleblower)

    def text(sealed: str | None, redacted: str) -> str:
        return (_open(ctx, sealed) if originals else None) or redacted

    return CaseView(
        case_id=case.case_id,
        status=case.status,
        channel=case.channel,
        kind=case.kind,
        category=case.category,
        category_name=category.name if category else "",
        urgency=case.urgency,
        # The hotline took the call: it reads the description as given (departments get it redacted).
        description=text(case.description_sealed, case.description),
        region_code=case.region_code,
        address=case.address,
        lat=case.lat,
        lon=case.lon,
        media_url=case.media_url,
        attributes=orjson.loads(case.attributes) if case.attributes else {},
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
        reply=reply_of(case),
        visits=[
            VisitView(
                cycle=v.cycle,
                attempt=v.attempt,
                contacted=v.contacted,
                satisfaction=v.satisfaction,
                comment=text(v.comment_sealed, v.comment),  # as the requester said it, for the hotline
                visited_at=aware(v.visited_at),
            )
            for v in visits
        ],
    )
