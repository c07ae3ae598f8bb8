"""Response shapes of the escalation API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from caseflow_common.contracts.escalation import ClockView, SupervisionReason
from caseflow_common.db import as_utc
from escalation.calendar_doc import CalendarDocument
from escalation.domain.manual import MAX_CASES, ManualDecision
from escalation.issued import IssuedRung
from escalation.policy_doc import PolicyDocument
from escalation.repository import stored_at


class CaseClocks(BaseModel):
    case_id: str
    unit: str | None = Field(description="the unit holding the case")
    assisting_units: list[str] = Field(default_factory=list, description="units assisting it (协办) this cycle")
    clocks: list[ClockView]


class ActionView(BaseModel):
    id: str
    case_id: str
    cycle: int
    clock_kind: str | None = Field(description="the clock behind an automatic action; null for a manual one")
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
    manual: bool = Field(default=False, description="issued by a supervisor's decision (GZ Art. 48)")
    reason: str | None = Field(default=None, description="the GZ Art. 48 situation of a manual action")
    note: str | None = None
    issued_by: str | None = None

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
            manual=r.manual,
            reason=r.reason,
            note=r.note,
            issued_by=r.issued_by,
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
    level: int = Field(default=1, description="graded level (SZ Art. 21 分级预警): 1 the lowest")
    notify_units: list[str] = Field(default_factory=list, description="units it reaches besides coordination")

    @classmethod
    def of(cls, r: Row, notify_units: list[str] | None = None) -> WarningView:
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
            level=r.level,
            notify_units=notify_units or [],
        )


class ManualActionBody(BaseModel):
    """Body of POST /v1/supervision/actions: a supervisor's decision (GZ Art. 48 (1)-(6))."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=64, description="the unit the action is addressed to")
    case_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_CASES, description="the unit's cases behind the decision (one or several)"
    )
    rung: IssuedRung = Field(
        description="the rung: reminder/supervise/notify (通报)/interview (约谈)/listed (挂牌督办)"
    )
    reason: SupervisionReason = Field(description="which GZ Art. 48 situation, (1)-(6)")
    note: str | None = Field(default=None, max_length=4000, description="the supervisor's explanation")
    rectification_deadline: AwareDatetime = Field(description="by when the unit must rectify (责令限期整改)")

    def decision(self, issued_by: str) -> ManualDecision:
        """The decision this body states, by `issued_by`."""
        return ManualDecision(
            self.unit,
            tuple(self.case_ids),
            self.rung,
            self.reason,
            self.rectification_deadline,
            issued_by,
            self.note,
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
