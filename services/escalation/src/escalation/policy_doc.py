"""The SLA policy document of GET/PUT /v1/admin/policies: SLA policies plus the supervision ladder, versioned."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from escalation.domain.calendar import TimeUnit
from escalation.domain.calendar_data import MAX_PERIOD
from escalation.domain.ladder import LadderPolicy, RectificationSpec
from escalation.domain.policy import ClockAnchor, ClockKind, ClockSpec, PolicySet, SlaPolicy, default_policy_set
from escalation.issued import IssuedRung

BASE_POLICY_VERSION = 1
# No period of any unit is longer (the bound of each unit is checked with the whole document: MAX_PERIOD).
LONGEST = max(MAX_PERIOD.values())


class ClockSpecDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float = Field(gt=0, le=LONGEST, description="allowed time, in `unit` (at most about two years of it)")
    unit: TimeUnit
    warn_at: float = Field(default=0.8, gt=0, lt=1, description="fraction of the allowed time at which 催办 fires")
    starts_on: ClockAnchor | None = Field(default=None, description="received or dispatched (default per kind)")


class SlaPolicyDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=100)
    channel: str = Field(min_length=1, max_length=20)
    category: str | None = None
    urgency: str | None = None
    note: str = ""
    clocks: dict[ClockKind, ClockSpecDoc]


class RectificationDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float = Field(gt=0, le=LONGEST, description="time to rectify, in `unit` (at most about two years of it)")
    unit: TimeUnit = TimeUnit.WORKING_DAYS


class LadderDoc(BaseModel):
    """The supervision ladder (GZ Art. 48; SZ Art. 56): rungs after a breach and each one's rectification period."""

    model_config = ConfigDict(extra="forbid")
    remind: bool = True
    climb: list[IssuedRung] = Field(default_factory=lambda: list(LadderPolicy().climb))
    rectification: dict[IssuedRung, RectificationDoc] = Field(
        default_factory=lambda: {
            r: RectificationDoc(amount=s.amount, unit=s.unit) for r, s in LadderPolicy().rectification.items()
        }
    )
    met_clock_stops_climb: bool = True


class PolicyDocument(BaseModel):
    """Body of PUT /v1/admin/policies."""

    model_config = ConfigDict(extra="forbid")
    policies: list[SlaPolicyDoc] = Field(min_length=1)
    ladder: LadderDoc = Field(default_factory=LadderDoc)

    def to_domain(self, version: int) -> tuple[PolicySet, LadderPolicy]:
        """The policy set and ladder this document describes, stamped with `version`."""
        policies = tuple(
            SlaPolicy(
                p.id,
                p.channel,
                {k: ClockSpec(s.amount, s.unit, s.warn_at, s.starts_on) for k, s in p.clocks.items()},
                p.category,
                p.urgency,
                p.note,
            )
            for p in self.policies
        )
        ladder = LadderPolicy(
            version=f"ladder-{version}",
            remind=self.ladder.remind,
            climb=tuple(self.ladder.climb),
            rectification={r: RectificationSpec(s.amount, s.unit) for r, s in self.ladder.rectification.items()},
            met_clock_stops_climb=self.ladder.met_clock_stops_climb,
        )
        return PolicySet(str(version), policies), ladder

    def problems(self) -> list[str]:
        """What makes this document unusable (empty when fine)."""
        policies, ladder = self.to_domain(BASE_POLICY_VERSION)
        return policies.validate() + ladder.validate()

    @classmethod
    def from_domain(cls, policies: PolicySet, ladder: LadderPolicy) -> PolicyDocument:
        """The document of a domain policy set and ladder."""
        return cls(
            policies=[
                SlaPolicyDoc(
                    id=p.id,
                    channel=p.channel,
                    category=p.category,
                    urgency=p.urgency,
                    note=p.note,
                    clocks={
                        k: ClockSpecDoc(amount=s.amount, unit=s.unit, warn_at=s.warn_at, starts_on=s.starts_on)
                        for k, s in p.clocks.items()
                    },
                )
                for p in policies.policies
            ],
            ladder=LadderDoc(
                remind=ladder.remind,
                climb=list(ladder.climb),
                met_clock_stops_climb=ladder.met_clock_stops_climb,
                rectification={
                    r: RectificationDoc(amount=s.amount, unit=s.unit) for r, s in ladder.rectification.items()
                },
            ),
        )


def default_document() -> PolicyDocument:
    """The defaults of DOMAIN.md (hotline tiers; grid 10 working days, GZ Art. 16) and the default ladder."""
    return PolicyDocument.from_domain(default_policy_set(), LadderPolicy())
