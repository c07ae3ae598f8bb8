"""SLA policies: which clocks a case gets and how long each may run.

A policy is chosen by channel, category and urgency; the most specific match wins (an exact category beats an
urgency tier, which beats the channel default).  The figures in `default_policy_set` are sensible defaults drawn
from practice and from GZ Art. 16 (grid reports: handled with feedback within 10 working days); only that one is
law, the rest are configuration that a city replaces through the admin API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from caseflow_common.contracts.intake import Channel, Urgency
from escalation.domain.calendar import TimeUnit
from escalation.domain.calendar_data import period_problems


class ClockKind(StrEnum):
    """The clocks a case can carry."""

    SIGN_FOR = "sign_for"  # 签收
    FIRST_CONTACT = "first_contact"  # first contact with the requester
    HANDLING = "handling"  # 办结
    REPLY = "reply"  # 答复


class ClockAnchor(StrEnum):
    """The case fact that starts a clock."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"


# 签收 is the addressed department's duty, so it runs from each dispatch; the others are promises to the
# requester and run from receipt.
DEFAULT_ANCHORS: Mapping[ClockKind, ClockAnchor] = {
    ClockKind.SIGN_FOR: ClockAnchor.DISPATCHED,
    ClockKind.FIRST_CONTACT: ClockAnchor.RECEIVED,
    ClockKind.HANDLING: ClockAnchor.RECEIVED,
    ClockKind.REPLY: ClockAnchor.RECEIVED,
}


@dataclass(frozen=True)
class ClockSpec:
    """How long one clock may run, in which unit, and when it warns."""

    amount: float
    unit: TimeUnit
    warn_at: float = 0.8
    starts_on: ClockAnchor | None = None

    def anchor(self, kind: ClockKind) -> ClockAnchor:
        """The fact that starts this clock (explicit, else the default for its kind)."""
        return self.starts_on or DEFAULT_ANCHORS[kind]

    def problems(self) -> list[str]:
        """What is wrong with this spec, in words."""
        found = period_problems(self.amount, self.unit)
        if not 0 < self.warn_at < 1:
            found.append(f"warn_at must be between 0 and 1, got {self.warn_at}")
        return found


@dataclass(frozen=True)
class SlaPolicy:
    """The clocks for cases of one channel, optionally narrowed by category and/or urgency."""

    id: str
    channel: str
    clocks: Mapping[ClockKind, ClockSpec]
    category: str | None = None
    urgency: str | None = None
    note: str = ""

    def matches(self, channel: str, category: str | None, urgency: str | None) -> bool:
        """True when this policy applies to a case with these attributes."""
        return (
            self.channel == channel
            and (self.category is None or self.category == category)
            and (self.urgency is None or self.urgency == urgency)
        )

    @property
    def specificity(self) -> tuple[bool, bool]:
        """Sort key: exact category first, then urgency."""
        return (self.category is not None, self.urgency is not None)

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What the policy is chosen by."""
        return (self.channel, self.category, self.urgency)

    def spec(self, kind: ClockKind) -> ClockSpec | None:
        """The spec of one clock kind, if this policy sets that clock."""
        return self.clocks.get(kind)


@dataclass(frozen=True)
class PolicySet:
    """A versioned set of SLA policies."""

    version: str
    policies: tuple[SlaPolicy, ...] = field(default_factory=tuple)

    def select(self, channel: str, category: str | None, urgency: str | None) -> SlaPolicy | None:
        """The most specific policy for the case, or None when no policy covers its channel."""
        candidates = [p for p in self.policies if p.matches(channel, category, urgency)]
        if not candidates:
            return None
        return max(candidates, key=lambda p: p.specificity)

    def select_or_raise(self, channel: str, category: str | None, urgency: str | None) -> SlaPolicy:
        """Like select, but a missing policy is an error."""
        policy = self.select(channel, category, urgency)
        if policy is None:
            raise LookupError(f"no SLA policy for channel={channel} category={category} urgency={urgency}")
        return policy

    def validate(self) -> list[str]:
        """Problems that would make the set unusable or ambiguous (empty when fine)."""
        found: list[str] = []
        if not self.version.strip():
            found.append("policy set needs a version")
        seen: dict[tuple[str, str | None, str | None], str] = {}
        ids: set[str] = set()
        for p in self.policies:
            if p.id in ids:
                found.append(f"policy id {p.id!r} used twice")
            ids.add(p.id)
            if p.key in seen:
                found.append(f"policies {seen[p.key]!r} and {p.id!r} both match {p.key}")
            seen[p.key] = p.id
            if not p.clocks:
                found.append(f"policy {p.id!r} sets no clock")
            for kind, spec in p.clocks.items():
                found.extend(f"policy {p.id!r} clock {kind}: {msg}" for msg in spec.problems())
        for channel in sorted({p.channel for p in self.policies}):
            if (channel, None, None) not in seen:
                found.append(f"channel {channel!r} has no default policy (no category, no urgency)")
        return found


def _wd(n: int) -> ClockSpec:
    return ClockSpec(n, TimeUnit.WORKING_DAYS)


def _wh(n: float) -> ClockSpec:
    return ClockSpec(n, TimeUnit.WORKING_HOURS)


def _nh(n: float) -> ClockSpec:
    return ClockSpec(n, TimeUnit.NATURAL_HOURS)


def default_policy_set() -> PolicySet:
    """Default SLA figures: defaults, not law (only the grid 10 working days comes from GZ Art. 16)."""
    k = ClockKind
    normal = {k.SIGN_FOR: _wd(1), k.FIRST_CONTACT: _wd(1), k.HANDLING: _wd(10), k.REPLY: _wd(15)}
    return PolicySet(
        version="default-1",
        policies=(
            # GZ Art. 16: departments handle grid reports and give feedback within 10 working days of receipt.
            SlaPolicy("grid-default", Channel.GRID, {k.SIGN_FOR: _wd(1), k.HANDLING: _wd(10)}, note="GZ Art. 16"),
            SlaPolicy("hotline-default", Channel.HOTLINE, normal, note="same as normal urgency"),
            SlaPolicy(
                "hotline-normal", Channel.HOTLINE, normal, urgency=Urgency.NORMAL, note="close within 5-15 working days"
            ),
            SlaPolicy(
                "hotline-emergency",
                Channel.HOTLINE,
                {k.SIGN_FOR: _nh(2), k.FIRST_CONTACT: _nh(2), k.HANDLING: _nh(24), k.REPLY: _nh(24)},
                urgency=Urgency.EMERGENCY,
            ),
            SlaPolicy(
                "hotline-urgent",
                Channel.HOTLINE,
                {k.SIGN_FOR: _wh(2), k.FIRST_CONTACT: _wh(4), k.HANDLING: _wd(3), k.REPLY: _wd(3)},
                urgency=Urgency.URGENT,
                note="close within 1-3 working days",
            ),
            SlaPolicy(
                "hotline-inquiry",
                Channel.HOTLINE,
                {k.HANDLING: _wd(1), k.REPLY: _wd(1)},
                urgency=Urgency.INQUIRY,
                note="answered on the spot or within 1 working day",
            ),
        ),
    )
