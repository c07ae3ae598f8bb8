"""What the grid system reads back of the cases it submitted: status, responsible unit, deadlines, the reply."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Row

from intake.context import IntakeContext
from intake.domain.redaction import redact_personal
from intake.repository import aware
from intake.views import ClockOut, ReplyOut, clocks_of, reply_of


class GridCaseView(BaseModel):
    """A case as the grid system that submitted it sees it (GZ Art. 16 feedback): no requester, no free text but
    the reply, and that with personal data redacted."""

    case_id: str = Field(examples=["GZ-20261121-000123"])
    external_id: str = Field(description="The grid system's own report id.", examples=["GR-2026-0042"])
    status: str = Field(examples=["replied"])
    category: str
    category_name: str = ""
    urgency: str
    region_code: str
    observed_at: datetime = Field(description="When the grid member observed the matter (the report's own time).")
    unit: str | None = Field(default=None, description="The unit responsible now.")
    unit_name: str | None = None
    cycle: int = 1
    merged_into: str | None = Field(default=None, description="The open case this report joined (并单).")
    deadlines: list[ClockOut] = Field(default_factory=list)
    reply: ReplyOut | None = Field(default=None, description="The department's latest reply.")
    last_update: datetime


def grid_case_view(row: Row, ctx: IntakeContext) -> GridCaseView:
    """The grid's view of one of its cases."""
    category = ctx.categories.get(row.category)
    return GridCaseView(
        case_id=row.case_id,
        external_id=row.external_id,
        status=row.status,
        category=row.category,
        category_name=category.name if category else "",
        urgency=row.urgency,
        region_code=row.region_code,
        observed_at=aware(row.received_at),
        unit=row.unit,
        unit_name=row.unit_name,
        cycle=row.cycle,
        merged_into=row.merged_into,
        deadlines=[ClockOut.model_validate(c) for c in clocks_of(row.clocks)],
        reply=_redacted(reply_of(row)),
        last_update=aware(row.updated_at),
    )


def _redacted(reply: ReplyOut | None) -> ReplyOut | None:
    # A reply written for the citizen may name them or their number; the grid reads it without (GZ Art. 15).
    if reply is None:
        return None
    return reply.model_copy(update={"content": redact_personal(reply.content)})
