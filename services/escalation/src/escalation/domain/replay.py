"""Recompute a case's clocks from its facts, so a calendar or policy change can recompute running clocks.

Facts are plain records distilled from the case's events; replay depends on no event library.  Rules:
- `received` chooses the policy (channel, category, urgency) and opens the first cycle; the citizen's own time is
  a fact of the case, never the start of a clock;
- a unit's clocks run from the moment the case reached that unit (DOMAIN.md, clarification of 2026-11-30):
  `dispatched` to another unit (first dispatch, re-dispatch, transfer, coordination hand-over) ends the previous
  unit's clocks and starts every clock of the policy for the new one, so no rung is ever issued for time that
  passed before the unit had the case (GZ Art. 17; SZ Art. 25: the receiver of a 移送 owes its own 签收);
- `assisting` gives an assisting unit (协办, GZ Art. 10; SZ Art. 24) its own clocks of the kinds assisting units
  owe; `assist_done` (its part answered) meets them; `assist_left` (its part handed on) meets them and the unit
  stops assisting; `coordinated` names the assisting units anew;
- `accepted` meets the unit's sign-for; `contacted` its first contact; `replied` the holder's reply and first
  contact; `suspended` / `resumed` pause / resume every running clock (waiting on the requester);
- `closed` meets every clock of the cycle still running;
- `reopened` begins a new cycle whose clocks restart from zero at the reopening.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from escalation.domain.calendar import WorkCalendar
from escalation.domain.clock import Clock, ClockRole
from escalation.domain.policy import ClockAnchor, ClockKind, PolicySet, SlaPolicy


class FactKind(StrEnum):
    """What happened to a case, as far as clocks care."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ASSISTING = "assisting"
    ASSIST_DONE = "assist_done"
    ASSIST_LEFT = "assist_left"
    COORDINATED = "coordinated"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    REPLIED = "replied"
    CLOSED = "closed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class CaseFact:
    """One clock-relevant fact of a case (`unit`: the unit it concerns or that acted)."""

    kind: FactKind
    at: datetime
    unit: str | None = None
    channel: str | None = None
    category: str | None = None
    urgency: str | None = None


def bounded_time(at: datetime, now: datetime, skew: timedelta) -> datetime:
    """`at`, or `now` when `at` lies beyond `now + skew` or outside what UTC can express: a producer's clock far
    ahead (a year-9999 time) must neither push deadlines past the calendar's range nor leave a case without clocks."""
    try:
        at.astimezone(UTC)
    except OverflowError:
        return now
    return now if at > now + skew else at


def bounded(fact: CaseFact, now: datetime, skew: timedelta) -> CaseFact:
    """The fact with its time bounded (see bounded_time); the same fact when its time stands."""
    at = bounded_time(fact.at, now, skew)
    return fact if at is fact.at else replace(fact, at=at)


def leg_of(unit: str, at: datetime, role: ClockRole = ClockRole.HOLDER) -> str:
    """The leg name of a unit's clocks started at `at` (deterministic: replays name the same clocks the same)."""
    mark = "+" if role is ClockRole.ASSISTING else ""
    return f"{mark}{unit}@{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"


@dataclass
class Parties:
    """Who a case concerns now: the unit holding it, the units assisting it, the institutions that coordinated it,
    and every unit it ever reached."""

    holder: str | None = None
    assisting: set[str] = field(default_factory=set)
    coordinators: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    cycle: int = 0


DEFAULT_ASSISTING_KINDS = (ClockKind.SIGN_FOR, ClockKind.HANDLING)


class _Replay:
    def __init__(
        self,
        case_id: str,
        calendar: WorkCalendar,
        policies: PolicySet | None,
        assisting_kinds: Collection[ClockKind] = DEFAULT_ASSISTING_KINDS,
    ) -> None:
        self.case_id, self.calendar, self.policies = case_id, calendar, policies
        self.assisting_kinds = tuple(assisting_kinds)
        self.done: list[Clock] = []
        self.live: dict[ClockKind, Clock] = {}  # the holder's clocks in its current leg
        self.assist: dict[str, dict[ClockKind, Clock]] = {}  # each assisting unit's clocks
        self.assist_since: dict[str, datetime] = {}
        self.policy: SlaPolicy | None = None
        self.parties = Parties()
        self.leg = ""
        self.legs_in_cycle = 0
        self.leg_kinds: set[ClockKind] = set()
        self.paused_since: datetime | None = None

    # --- clocks -----------------------------------------------------------------------------------------------

    def _clock(self, kind: ClockKind, unit: str, at: datetime, leg: str, role: ClockRole) -> Clock | None:
        spec = self.policy.spec(kind) if self.policy is not None else None
        if spec is None or self.policies is None:
            return None
        cycle, version = self.parties.cycle, self.policies.version
        clock = Clock(self.case_id, kind, unit, cycle, at, spec, version, self.calendar, leg=leg, role=role)
        return clock.pause(at) if self.paused_since is not None else clock

    def _start_holder(self, at: datetime, anchors: Collection[ClockAnchor]) -> None:
        unit = self.parties.holder
        if self.policy is None or unit is None:
            return
        for kind, spec in self.policy.clocks.items():
            if kind in self.leg_kinds or spec.anchor(kind) not in anchors:
                continue
            clock = self._clock(kind, unit, at, self.leg, ClockRole.HOLDER)
            if clock is not None:
                self.live[kind] = clock
                self.leg_kinds.add(kind)

    def _meet(self, clocks: dict[ClockKind, Clock], kinds: Iterable[ClockKind], at: datetime) -> None:
        for kind in list(kinds):
            clock = clocks.pop(kind, None)
            if clock is not None:
                self.done.append(clock.meet(at))

    def _hand_to(self, unit: str, at: datetime, anchors: Collection[ClockAnchor] = tuple(ClockAnchor)) -> None:
        """The case reached `unit`: the previous holder's clocks end, the new holder's start now."""
        self._meet(self.live, tuple(self.live), at)
        if unit in self.parties.assisting:  # an assisting unit that takes the case over stops assisting
            self._end_assist(unit, at)
        self.parties.holder = unit
        self.parties.reached.add(unit)
        self.leg = "" if self.legs_in_cycle == 0 else leg_of(unit, at)
        self.legs_in_cycle += 1
        self.leg_kinds = set()
        self._start_holder(at, anchors)

    def _assist(self, unit: str, at: datetime) -> None:
        if unit == self.parties.holder or unit in self.parties.assisting:
            return
        self.assist_since[unit] = at
        self.parties.assisting.add(unit)
        self.parties.reached.add(unit)
        leg = leg_of(unit, at, ClockRole.ASSISTING)
        clocks = {k: self._clock(k, unit, at, leg, ClockRole.ASSISTING) for k in self.assisting_kinds}
        self.assist[unit] = {k: c for k, c in clocks.items() if c is not None}

    def _end_assist(self, unit: str, at: datetime, *, leaves: bool = True) -> None:
        """The unit's assisting clocks are met; `leaves`: it stops assisting (else its part is done, and it still
        reads it)."""
        clocks = self.assist.pop(unit, {})
        self._meet(clocks, tuple(clocks), at)
        self.assist_since.pop(unit, None)
        if leaves:
            self.parties.assisting.discard(unit)

    def _clocks_of(self, unit: str | None) -> dict[ClockKind, Clock] | None:
        """The live clocks a unit's own act concerns (None: a unit the case no longer concerns)."""
        if unit is not None and unit in self.assist:
            return self.assist[unit]
        if unit is None or unit == self.parties.holder:
            return self.live
        return None

    def _every_live(self) -> list[dict[ClockKind, Clock]]:
        return [self.live, *self.assist.values()]

    # --- facts ------------------------------------------------------------------------------------------------

    def _select(self, fact: CaseFact) -> None:
        if self.policies is not None:
            self.policy = self.policies.select_or_raise(fact.channel or "", fact.category, fact.urgency)
        self.parties.cycle = max(self.parties.cycle, 1)

    def apply(self, fact: CaseFact) -> None:
        k, at = fact.kind, fact.at
        if k is FactKind.RECEIVED:
            self._select(fact)
        elif k is FactKind.DISPATCHED:
            if self.policy is None and fact.channel:  # a linked case (e.g. police notice) has no receipt of its own
                self._select(fact)
            if fact.unit is None:
                return
            if fact.unit != self.parties.holder:
                self._hand_to(fact.unit, at)
            else:  # the same unit again (a reopened cycle's dispatch): its sign-for restarts
                self._start_holder(at, (ClockAnchor.DISPATCHED,))
        elif k is FactKind.ASSISTING and fact.unit:
            self._assist(fact.unit, at)
        elif k is FactKind.ASSIST_DONE and fact.unit:
            self._end_assist(fact.unit, at, leaves=False)
        elif k is FactKind.ASSIST_LEFT and fact.unit:
            self._end_assist(fact.unit, at)
        elif k is FactKind.COORDINATED:
            if fact.unit:
                self.parties.coordinators.add(fact.unit)
                self.parties.reached.add(fact.unit)
            for unit in list(self.parties.assisting):
                since = self.assist_since.get(unit)
                if since is None or since < at:  # the coordination names its assisting units anew (they follow now)
                    self._end_assist(unit, at)
        elif k is FactKind.ACCEPTED:
            self._meet_own(fact.unit, (ClockKind.SIGN_FOR,), at)
        elif k is FactKind.CONTACTED:
            self._meet_own(fact.unit, (ClockKind.FIRST_CONTACT,), at)
        elif k is FactKind.REPLIED:
            if fact.unit is not None and fact.unit in self.assist:
                self._end_assist(fact.unit, at, leaves=False)
            else:
                self._meet_own(fact.unit, (ClockKind.REPLY, ClockKind.FIRST_CONTACT), at)
        elif k is FactKind.SUSPENDED and self.paused_since is None:
            self.paused_since = at
            self._transform(lambda c: c.pause(at))
        elif k is FactKind.RESUMED and self.paused_since is not None:
            self.paused_since = None
            self._transform(lambda c: c.resume(at) if c.is_paused else c)
        elif k is FactKind.CLOSED:
            self._close_cycle(at)
        elif k is FactKind.REOPENED:
            self._close_cycle(at)  # a cycle's leftovers end with it; its assisting units are named anew if needed
            self.parties.assisting.clear()
            self.parties.cycle += 1
            self.paused_since = None
            self.legs_in_cycle = 0
            back = fact.unit or self.parties.holder
            self.parties.holder = None
            if back is not None:  # the unit gets the case back now; its sign-for restarts with the dispatch
                self._hand_to(back, at, (ClockAnchor.RECEIVED,))

    def _meet_own(self, unit: str | None, kinds: tuple[ClockKind, ...], at: datetime) -> None:
        clocks = self._clocks_of(unit)
        if clocks is not None:
            self._meet(clocks, kinds, at)

    def _close_cycle(self, at: datetime) -> None:
        self._meet(self.live, tuple(self.live), at)
        for unit in list(self.assist_since):
            self._end_assist(unit, at, leaves=False)

    def _transform(self, change: Callable[[Clock], Clock]) -> None:
        self.live = {kind: change(c) for kind, c in self.live.items()}
        self.assist = {u: {kind: change(c) for kind, c in cs.items()} for u, cs in self.assist.items()}

    def clocks(self) -> list[Clock]:
        live = [c for clocks in self._every_live() for c in clocks.values()]
        order = list(ClockKind)
        return sorted([*self.done, *live], key=lambda c: (c.cycle, c.started_at, c.leg, order.index(c.kind)))


def _run(
    case_id: str,
    facts: Iterable[CaseFact],
    calendar: WorkCalendar,
    policies: PolicySet | None,
    assisting_kinds: Collection[ClockKind],
) -> _Replay:
    run = _Replay(case_id, calendar, policies, assisting_kinds)
    for fact in sorted(facts, key=lambda f: f.at):
        run.apply(fact)
    return run


def replay(
    case_id: str,
    facts: Iterable[CaseFact],
    calendar: WorkCalendar,
    policies: PolicySet,
    assisting_kinds: Collection[ClockKind] = DEFAULT_ASSISTING_KINDS,
) -> list[Clock]:
    """Every clock of the case, all cycles and legs, rebuilt from its facts (stable-sorted by time)."""
    return _run(case_id, facts, calendar, policies, assisting_kinds).clocks()


def parties_of(case_id: str, facts: Iterable[CaseFact]) -> Parties:
    """Who the case concerns now, by the same rules as the clocks (no policy needed)."""
    return _run(case_id, facts, WorkCalendar(), None, ()).parties


def current_clocks(clocks: Iterable[Clock]) -> list[Clock]:
    """The clocks of the latest cycle only."""
    clocks = list(clocks)
    latest = max((c.cycle for c in clocks), default=0)
    return [c for c in clocks if c.cycle == latest]
