"""Recompute a case's clocks from its facts, so a calendar or policy change can recompute running clocks.

Facts are plain records distilled from the case's events; replay depends on no event library.  Rules:
- `received` starts the clocks anchored on receipt (policy chosen by channel, category, urgency);
- `dispatched` binds the cycle's clocks to the unit and (re)starts the sign-for clock for that unit,
  since each newly addressed department owes its own 签收;
- `accepted` meets sign-for; `contacted` meets first contact; `replied` meets reply and first contact;
- `suspended` / `resumed` pause / resume every running clock of the cycle (waiting on the requester);
- `closed` meets every clock of the cycle still running;
- `reopened` begins a new cycle whose receipt-anchored clocks restart from zero at the reopening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from escalation.domain.calendar import WorkCalendar
from escalation.domain.clock import Clock
from escalation.domain.policy import ClockAnchor, ClockKind, PolicySet, SlaPolicy


class FactKind(StrEnum):
    """What happened to a case, as far as clocks care."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    REPLIED = "replied"
    CLOSED = "closed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class CaseFact:
    """One clock-relevant fact of a case."""

    kind: FactKind
    at: datetime
    unit: str | None = None
    channel: str | None = None
    category: str | None = None
    urgency: str | None = None


_MEETS: dict[FactKind, tuple[ClockKind, ...]] = {
    FactKind.ACCEPTED: (ClockKind.SIGN_FOR,),
    FactKind.CONTACTED: (ClockKind.FIRST_CONTACT,),
    FactKind.REPLIED: (ClockKind.REPLY, ClockKind.FIRST_CONTACT),
    FactKind.CLOSED: tuple(ClockKind),
}


class _Replay:
    def __init__(self, case_id: str, calendar: WorkCalendar, policies: PolicySet) -> None:
        self.case_id, self.calendar, self.policies = case_id, calendar, policies
        self.done: list[Clock] = []
        self.live: dict[ClockKind, Clock] = {}
        self.policy: SlaPolicy | None = None
        self.cycle = 0
        self.unit: str | None = None
        self.paused_since: datetime | None = None

    def start(self, anchor: ClockAnchor, at: datetime) -> None:
        if self.policy is None:
            return
        for kind, spec in self.policy.clocks.items():
            if spec.anchor(kind) is not anchor:
                continue
            if kind in self.live:
                self.done.append(self.live.pop(kind).meet(at))
            clock = Clock(self.case_id, kind, self.unit, self.cycle, at, spec, self.policies.version, self.calendar)
            self.live[kind] = clock.pause(at) if self.paused_since is not None else clock

    def meet(self, kinds: Iterable[ClockKind], at: datetime) -> None:
        for kind in kinds:
            clock = self.live.pop(kind, None)
            if clock is not None:
                self.done.append(clock.meet(at))

    def apply(self, fact: CaseFact) -> None:
        k = fact.kind
        if k is FactKind.RECEIVED:
            self.policy = self.policies.select_or_raise(fact.channel or "", fact.category, fact.urgency)
            self.cycle = max(self.cycle, 1)
            self.start(ClockAnchor.RECEIVED, fact.at)
        elif k is FactKind.DISPATCHED:
            # the previous unit's 签收 duty ends when the case moves on to another unit
            self.meet([kd for kd, c in self.live.items() if c.spec.anchor(kd) is ClockAnchor.DISPATCHED], fact.at)
            self.unit = fact.unit
            self.live = {kind: c.reassign(fact.unit) for kind, c in self.live.items()}
            self.start(ClockAnchor.DISPATCHED, fact.at)
        elif k is FactKind.SUSPENDED and self.paused_since is None:
            self.paused_since = fact.at
            self.live = {kind: c.pause(fact.at) for kind, c in self.live.items()}
        elif k is FactKind.RESUMED and self.paused_since is not None:
            self.paused_since = None
            self.live = {kind: c.resume(fact.at) if c.is_paused else c for kind, c in self.live.items()}
        elif k in _MEETS:
            self.meet(_MEETS[k], fact.at)
        elif k is FactKind.REOPENED:
            self.meet(tuple(self.live), fact.at)  # a cycle's leftovers end with it
            self.cycle += 1
            self.paused_since = None
            self.start(ClockAnchor.RECEIVED, fact.at)


def replay(case_id: str, facts: Iterable[CaseFact], calendar: WorkCalendar, policies: PolicySet) -> list[Clock]:
    """Every clock of the case, all cycles, rebuilt from its facts (stable-sorted by time)."""
    run = _Replay(case_id, calendar, policies)
    for fact in sorted(facts, key=lambda f: f.at):
        run.apply(fact)
    clocks = [*run.done, *run.live.values()]
    return sorted(clocks, key=lambda c: (c.cycle, c.started_at, list(ClockKind).index(c.kind)))


def current_clocks(clocks: Iterable[Clock]) -> list[Clock]:
    """The clocks of the latest cycle only."""
    clocks = list(clocks)
    latest = max((c.cycle for c in clocks), default=0)
    return [c for c in clocks if c.cycle == latest]
