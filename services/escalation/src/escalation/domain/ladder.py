"""The supervision ladder (GZ Art. 48; SZ Art. 56): 催办 → 督办 → 通报 → 约谈 → 挂牌督办.

A warning at the clock's warn fraction issues a reminder; a breach issues a supervision order with a
rectification deadline (责令限期整改); each rung still unresolved when its rectification deadline passes climbs to
the next, with its own deadline; listed supervision is the top.  `next_actions` is pure and total: it rebuilds
the whole ladder from the clock and the actions already issued, and every action's id and moments depend only on
(case, cycle, clock kind, rung), so a restart, a redelivered event or a second replica computes the same actions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from caseflow_common.contracts.escalation import Rung, SupervisionReason
from escalation.domain.calendar import UTC, TimeUnit, WorkCalendar
from escalation.domain.calendar_data import period_problems
from escalation.domain.clock import Clock
from escalation.domain.policy import ClockKind, PolicySet

_ID_NAMESPACE = uuid.UUID("6f1d3c2a-8b7e-5c4d-9a0b-1e2f3a4b5c6d")
# What follows a breach by default: every issued rung above the reminder, lowest first.
DEFAULT_CLIMB = tuple(r for r in Rung.ladder() if r is not Rung.REMINDER)


class ActionStatus(StrEnum):
    """Whether the addressed unit has rectified."""

    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class RectificationSpec:
    """How long a unit has to rectify after a rung is issued."""

    amount: float
    unit: TimeUnit = TimeUnit.WORKING_DAYS


def _default_rectification() -> dict[Rung, RectificationSpec]:
    return {
        Rung.SUPERVISE: RectificationSpec(3),
        Rung.NOTIFY: RectificationSpec(3),
        Rung.INTERVIEW: RectificationSpec(5),
        Rung.LISTED: RectificationSpec(10),
    }


@dataclass(frozen=True)
class LadderPolicy:
    """The ladder as data: which rungs follow a breach and how long each gives to rectify."""

    version: str = "ladder-default-1"
    remind: bool = True
    climb: tuple[Rung, ...] = DEFAULT_CLIMB
    rectification: Mapping[Rung, RectificationSpec] = field(default_factory=_default_rectification)
    # A case handled (clock met) counts as rectified: no further rung after that moment.
    met_clock_stops_climb: bool = True

    def validate(self) -> list[str]:
        """Problems in the ladder definition (empty when fine)."""
        issued = Rung.ladder()
        found = [
            f"rung {r} is not one the ladder issues" for r in (*self.climb, *self.rectification) if r not in issued
        ]
        found += [f"rung {r} has no rectification period" for r in self.climb if r not in self.rectification]
        found += [
            f"rung {r} rectification: {problem}"
            for r, s in self.rectification.items()
            for problem in period_problems(s.amount, s.unit)
        ]
        if len(set(self.climb)) != len(self.climb):
            found.append("a rung appears twice in the climb")
        return found


def uncountable_periods(calendar: WorkCalendar, policies: PolicySet, ladder: LadderPolicy, now: datetime) -> list[str]:
    """The periods of the rules for which the calendar counts no deadline from now (e.g. a calendar without working
    days for years): found before a version is stored, so the rules in force can always be applied."""
    periods = [(f"policy {p.id!r} clock {k}", s.amount, s.unit) for p in policies.policies for k, s in p.clocks.items()]
    periods += [(f"rung {r} rectification", s.amount, s.unit) for r, s in ladder.rectification.items()]
    found = []
    for label, amount, unit in periods:
        try:
            calendar.add(now, amount, unit)
        except (ValueError, OverflowError) as exc:
            found.append(f"{label}: no deadline can be counted on the calendar ({exc})")
    return found


def action_id(case_id: str, cycle: int, kind: ClockKind, rung: Rung, leg: str = "") -> str:
    """Deterministic id: the same (case, cycle, clock, rung) always names the same action; a later unit's clock
    (its leg) names its own, so a transfer or an assisting unit never inherits another unit's rungs."""
    key = f"{case_id}|{cycle}|{kind}|{rung}" + (f"|{leg}" if leg else "")
    return str(uuid.uuid5(_ID_NAMESPACE, key))


@dataclass(frozen=True)
class SupervisionAction:
    """One rung issued to a unit about one clock (or, `manual`, by a supervisor's decision about one or several
    cases, GZ Art. 48); resolved when the unit rectifies."""

    id: str
    case_id: str
    cycle: int
    clock_kind: ClockKind | None
    rung: Rung
    unit: str | None
    issued_at: datetime
    rectification_deadline: datetime
    policy_version: str
    provisional: bool = False
    case_ids: tuple[str, ...] = ()
    resolved_at: datetime | None = None
    rectification: str | None = None
    leg: str = ""
    manual: bool = False
    reason: SupervisionReason | None = None
    note: str | None = None
    issued_by: str | None = None

    @property
    def status(self) -> ActionStatus:
        """Open until resolved."""
        return ActionStatus.OPEN if self.resolved_at is None else ActionStatus.RESOLVED

    def resolve(self, rectification: str, at: datetime) -> SupervisionAction:
        """Record the unit's rectification; resolving twice keeps the first."""
        if self.resolved_at is not None:
            return self
        return replace(self, resolved_at=at.astimezone(UTC), rectification=rectification)

    def rectified_in_time(self) -> bool:
        """True when resolved no later than its rectification deadline (the climb stops here)."""
        return self.resolved_at is not None and self.resolved_at <= self.rectification_deadline


def next_actions(
    clock: Clock, issued: Iterable[SupervisionAction], now: datetime, policy: LadderPolicy | None = None
) -> list[SupervisionAction]:
    """Actions due by `now` for this clock that are not among `issued`, lowest rung first."""
    policy = policy or LadderPolicy()
    known = {a.id: a for a in issued}
    due: list[SupervisionAction] = []

    def open_at(moment: datetime) -> bool:
        return clock.met_at is None or clock.met_at > moment

    def action(rung: Rung, at: datetime, deadline: datetime, provisional: bool) -> SupervisionAction:
        aid = action_id(clock.case_id, clock.cycle, clock.kind, rung, clock.leg)
        if aid in known:
            return known[aid]
        new = SupervisionAction(
            aid,
            clock.case_id,
            clock.cycle,
            clock.kind,
            rung,
            clock.unit,
            at,
            deadline,
            policy.version,
            provisional,
            (clock.case_id,),
            leg=clock.leg,
        )
        due.append(new)
        return new

    warn_at = clock.warn_at
    if policy.remind and warn_at is not None and warn_at <= now and open_at(warn_at):
        action(Rung.REMINDER, warn_at, clock.deadline, clock.provisional)

    if not clock.deadline_settled or now <= clock.deadline or not open_at(clock.deadline):
        return due
    at = clock.deadline
    for rung in policy.climb:
        spec = policy.rectification[rung]
        deadline, provisional = clock.calendar.add(at, spec.amount, spec.unit)
        current = action(rung, at, deadline, provisional or clock.provisional)
        if current.rectified_in_time() or now <= current.rectification_deadline:
            break
        at = current.rectification_deadline
        if policy.met_clock_stops_climb and not open_at(at):
            break
    return due
