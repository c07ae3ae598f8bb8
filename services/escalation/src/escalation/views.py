"""Response shapes of the escalation API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Row

from caseflow_common.contracts.escalation import ClockView
from caseflow_common.db import as_utc
from escalation.calendar_doc import CalendarDocument
from escalation.policy_doc import PolicyDocument
from escalation.repository import stored_at


class CaseClocks(BaseModel):
    case_id: str
    unit: str | None
    clocks: list[ClockView]


class ActionView(BaseModel):
    id: str
    case_id: str
    cycle: int
    clock_kind: str
    rung: str
    unit: str | None
    status: str
    issued_at: datetime
    rectification_deadline: datetime
    policy_version: int
    provisional: bool
    case_ids: list[str]
    resolved_at: datetime | None = None
    rectification: str | None = None

    @classmethod
    def of(cls, r: Row) -> ActionView:
        return cls(
            id=r.id,
            case_id=r.case_id,
            cycle=r.cycle,
            clock_kind=r.clock_kind,
            rung=r.rung,
            unit=r.unit,
            status=r.status,
            issued_at=stored_at(r.issued_at),
            rectification_deadline=stored_at(r.rectification_deadline),
            policy_version=r.policy_version,
            provisional=r.provisional,
            case_ids=list(r.case_ids),
            resolved_at=as_utc(r.resolved_at),
            rectification=r.rectification,
        )


class WarningView(BaseModel):
    id: str
    kind: str
    coordination_unit: str | None
    region_code: str | None
    category: str | None
    unit: str | None
    window_start: datetime
    window_end: datetime
    count: int
    rate: float | None
    case_ids: list[str]
    raised_at: datetime

    @classmethod
    def of(cls, r: Row) -> WarningView:
        return cls(
            id=r.id,
            kind=r.kind,
            coordination_unit=r.coordination_unit,
            region_code=r.region_code,
            category=r.category,
            unit=r.unit,
            window_start=stored_at(r.window_start),
            window_end=stored_at(r.window_end),
            count=r._mapping["count"],  # `Row.count` is the tuple method
            rate=r.rate,
            case_ids=list(r.case_ids),
            raised_at=stored_at(r.raised_at),
        )


class ResolveBody(BaseModel):
    rectification: str = Field(min_length=1, max_length=4000, description="what the unit did to rectify (整改)")


class PoliciesView(PolicyDocument):
    version: int
    recomputed_cases: int | None = None


class CalendarView(CalendarDocument):
    version: int
    provisional_deadlines: int | None = Field(default=None, description="open clocks still on a weekends-only guess")
    recomputed_cases: int | None = None
