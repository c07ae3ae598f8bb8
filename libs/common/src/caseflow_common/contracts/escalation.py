"""Events escalation publishes on ``caseflow.escalation.v1``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from caseflow_common.events import Payload, register, tolerant


class Rung(StrEnum):
    """Rungs of the supervision ladder, lowest first (GZ Art. 48; SZ Art. 56). The one definition."""

    REMINDER = "reminder"  # 催办
    SUPERVISE = "supervise"  # 督办
    NOTIFY = "notify"  # 通报
    INTERVIEW = "interview"  # 约谈
    LISTED = "listed"  # 挂牌督办
    OTHER = "other"  # a rung a newer producer added, as an older consumer reads it

    @classmethod
    def ladder(cls) -> tuple[Rung, ...]:
        """The rungs escalation issues, lowest first (``OTHER`` is only ever read, never issued)."""
        return tuple(r for r in cls if r is not cls.OTHER)


class PatternKind(StrEnum):
    """Pattern triggers (SZ Art. 21; GZ Art. 48(3))."""

    REPEAT = "repeat"
    HOTSPOT = "hotspot"
    LOW_SATISFACTION = "low_satisfaction"
    OTHER = "other"


class SupervisionReason(StrEnum):
    """Why a supervisor issued an action by hand: the situations of GZ Art. 48 (1)-(6) (SZ Art. 56 (1)-(5))."""

    INEFFECTIVE_MEASURES = "ineffective_measures"  # (一) 不重视平安建设，相关工作措施落实不力
    HAZARDS_UNRECTIFIED = "hazards_unrectified"  # (二) 重大安全隐患整改不力，社会矛盾纠纷比较突出
    REPEATED_INCIDENTS = "repeated_incidents"  # (三) 在较短时间内连续发生重大刑事案件或者群体性事件、公共安全事件
    ASSESSMENT_FAILED = "assessment_failed"  # (四) 平安建设工作考核评价不合格、不达标
    PUBLIC_CONCERN_UNADDRESSED = "public_concern_unaddressed"  # (五) 对公众反映强烈的问题没有及时采取有效措施
    OTHER = "other"  # (六) 其他需要督促整改的情形; also a reason a newer producer added, as an older consumer reads it


RungField = Annotated[Rung, BeforeValidator(tolerant(Rung, Rung.OTHER))]
PatternKindField = Annotated[PatternKind, BeforeValidator(tolerant(PatternKind, PatternKind.OTHER))]
SupervisionReasonField = Annotated[
    SupervisionReason, BeforeValidator(tolerant(SupervisionReason, SupervisionReason.OTHER))
]


class ClockView(Payload):
    kind: str
    deadline: datetime | None
    state: Literal["running", "paused", "met", "breached"]
    policy_version: int | None = None
    provisional: bool = Field(default=False, description="deadline falls in a year whose calendar is not published")
    unit: str | None = None
    cycle: int = 1
    started_at: datetime | None = None
    warn_at: datetime | None = Field(default=None, description="when 催办 fires (None while paused before it)")
    met_at: datetime | None = None
    role: str | None = Field(
        default=None, description="the unit's part: `holder` (the unit handling the case) or `assisting` (协办)"
    )


@register
class ClocksUpdated(Payload):
    """The case's clocks after a change (start, pause, resume, met, breach, recompute)."""

    event_type = "ClocksUpdated"
    clocks: list[ClockView]


@register
class SlaWarningIssued(Payload):
    """预警: a clock reached its warning fraction."""

    event_type = "SlaWarningIssued"
    clock_kind: str
    unit: str | None
    deadline: datetime
    fraction: float = 0.8


@register
class SupervisionActionIssued(Payload):
    """催办 / 督办 / 通报 / 约谈 / 挂牌督办 addressed to a unit (GZ Art. 48; SZ Art. 56)."""

    event_type = "SupervisionActionIssued"
    action_id: str
    rung: RungField
    unit: str | None
    case_ids: list[str] = Field(default_factory=list)
    clock_kind: str | None = None
    rectification_deadline: datetime | None = None
    policy_version: int | None = None
    cycle: int = 1
    issued_at: datetime | None = Field(default=None, description="the moment the rung fell due")
    provisional: bool = False
    manual: bool = Field(default=False, description="issued by a supervisor's decision (GZ Art. 48), not by a clock")
    reason: SupervisionReasonField | None = Field(
        default=None, description="manual actions: the GZ Art. 48 situation behind the decision"
    )
    note: str | None = Field(default=None, description="manual actions: the supervisor's explanation")
    issued_by: str | None = Field(default=None, description="manual actions: the supervisor who decided")


@register
class SupervisionActionResolved(Payload):
    event_type = "SupervisionActionResolved"
    action_id: str
    rung: RungField
    unit: str | None
    rectification: str = ""
    resolved_at: datetime | None = None


@register
class PatternWarningRaised(Payload):
    """Pattern trigger: repeats, hotspots, low satisfaction (SZ Art. 21; GZ Art. 48(3))."""

    event_type = "PatternWarningRaised"
    warning_id: str
    kind: PatternKindField
    coordination_unit: str | None = None
    region_code: str | None = None
    category: str | None = None
    unit: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    count: int = 0
    case_ids: list[str] = Field(default_factory=list)
    rate: float | None = Field(default=None, description="satisfaction rate (low_satisfaction only)")
    level: int | None = Field(
        default=None, description="graded warning level (SZ Art. 21 分级预警): 1 the lowest, higher is graver"
    )
    notify_units: list[str] = Field(
        default_factory=list,
        description="units the warning also reaches besides coordination, e.g. the area's public security (SZ Art. 21)",
    )
