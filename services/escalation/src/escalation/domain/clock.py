"""One SLA clock of one case cycle: start, pauses, met; deadline and warning moment derived on demand.

Pausing keeps the clock still: a pause of d (working time for working units, natural time for natural-hour
clocks) that starts before the deadline moves the deadline by exactly d.  A pause that starts after the deadline
changes nothing: the breach has happened.  Clocks are immutable; each transition returns a new clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

from escalation.domain.calendar import UTC, Deadline, WorkCalendar
from escalation.domain.policy import ClockKind, ClockSpec


class ClockRole(StrEnum):
    """Whose duty a clock measures: the unit handling the case, or a unit assisting it (协办, GZ Art. 10)."""

    HOLDER = "holder"
    ASSISTING = "assisting"


class ClockState(StrEnum):
    """Where a clock stands at a moment."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class Pause:
    """A stretch during which the case waited on the requester; end None while it lasts."""

    start: datetime
    end: datetime | None = None


class ClockError(ValueError):
    """A transition the clock's state does not allow."""


@dataclass(frozen=True)
class Clock:
    """An SLA clock; `unit` is the department it binds, `spec.unit` how its time is measured.

    `leg` tells apart the clocks of one kind in one cycle: "" for the first unit to hold the case in the cycle, then
    one leg per unit the case reached later (transfer, re-dispatch, coordination hand-over) and per assisting unit.
    """

    case_id: str
    kind: ClockKind
    unit: str | None
    cycle: int
    started_at: datetime
    spec: ClockSpec
    policy_version: str
    calendar: WorkCalendar = field(default_factory=WorkCalendar, compare=False, repr=False)
    pauses: tuple[Pause, ...] = ()
    met_at: datetime | None = None
    leg: str = ""
    role: ClockRole = ClockRole.HOLDER

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        object.__setattr__(self, "started_at", self.started_at.astimezone(UTC))

    @classmethod
    def restored(
        cls,
        *,
        deadline: datetime,
        provisional: bool,
        warn_at: datetime | None,
        case_id: str,
        kind: ClockKind,
        unit: str | None,
        cycle: int,
        started_at: datetime,
        spec: ClockSpec,
        policy_version: str,
        calendar: WorkCalendar,
        pauses: tuple[Pause, ...] = (),
        met_at: datetime | None = None,
        leg: str = "",
        role: ClockRole = ClockRole.HOLDER,
    ) -> Clock:
        """A running, unpaused clock read back from storage with the moments derived when it was stored, so a
        scheduler pass does not recompute them (they are recomputed whenever calendar or policy change)."""
        clock = cls(case_id, kind, unit, cycle, started_at, spec, policy_version, calendar, pauses, met_at, leg, role)
        if clock.met_at is None and not clock.is_paused:
            clock.__dict__["_deadline"] = (deadline, provisional, False)
            clock.__dict__["warn_at"] = warn_at
        return clock

    # --- derived moments --------------------------------------------------------------------------------

    @cached_property
    def _base(self) -> Deadline:
        return self.calendar.add(self.started_at, self.spec.amount, self.spec.unit)

    def _shifted(self, t: datetime) -> tuple[datetime, bool, bool]:
        """Move t past every pause that began before it; (moment, provisional, stopped by an open pause)."""
        provisional = False
        for pause in self.pauses:
            if pause.start >= t:
                break
            if pause.end is None:
                return t, provisional, True
            d = self.calendar.elapsed(pause.start, pause.end, self.spec.unit)
            t, p = self.calendar.shift(t, d, self.spec.unit)
            provisional = provisional or p
        return t, provisional, False

    @cached_property
    def _deadline(self) -> tuple[datetime, bool, bool]:
        at, provisional, stopped = self._shifted(self._base.at)
        return at, provisional or self._base.provisional, stopped

    @property
    def deadline(self) -> datetime:
        """The moment the clock runs out (while paused: as it stood when the pause began)."""
        return self._deadline[0]

    @property
    def provisional(self) -> bool:
        """True when the deadline rests on a year nobody has published yet (weekends-only guess)."""
        return self._deadline[1]

    @property
    def deadline_settled(self) -> bool:
        """False while an open pause that began before the deadline keeps it from being known."""
        return not self._deadline[2]

    @cached_property
    def allowed(self) -> timedelta:
        """The time the policy allows, as the clock's unit counts it."""
        return self.calendar.elapsed(self.started_at, self._base.at, self.spec.unit)

    @cached_property
    def warn_at(self) -> datetime | None:
        """The moment the warning fraction of the allowed time is used (None while paused before it)."""
        target = self.allowed * self.spec.warn_at
        first = self.calendar.shift(self.started_at, target, self.spec.unit).at
        at, _, stopped = self._shifted(first)
        return None if stopped else at

    # --- state ------------------------------------------------------------------------------------------

    @property
    def is_paused(self) -> bool:
        """True while the last pause is open."""
        return bool(self.pauses) and self.pauses[-1].end is None

    def state_at(self, now: datetime) -> ClockState:
        """The clock's state as seen at `now`."""
        if self.met_at is not None and self.met_at <= now:
            return ClockState.MET
        open_pause = self.is_paused and self.pauses[-1].start <= now
        if open_pause and not self.deadline_settled:
            return ClockState.PAUSED
        if now > self.deadline:
            return ClockState.BREACHED
        return ClockState.PAUSED if open_pause else ClockState.RUNNING

    def met_on_time(self) -> bool | None:
        """Whether the clock was met by its deadline; None while not met."""
        if self.met_at is None:
            return None
        return self.met_at <= self.deadline

    # --- transitions ------------------------------------------------------------------------------------

    def pause(self, at: datetime) -> Clock:
        """Stop the clock (the case waits on the requester)."""
        if self.met_at is not None:
            raise ClockError("a met clock cannot pause")
        if self.is_paused:
            raise ClockError("clock is already paused")
        last_end = self.pauses[-1].end if self.pauses else None
        if last_end is not None and at < last_end:
            raise ClockError("pause cannot begin before the previous pause ended")
        if at < self.started_at:
            raise ClockError("pause cannot begin before the clock started")
        return replace(self, pauses=(*self.pauses, Pause(at.astimezone(UTC))))

    def resume(self, at: datetime) -> Clock:
        """Restart a paused clock; the deadline moves by the paused time."""
        if not self.is_paused:
            raise ClockError("clock is not paused")
        last = self.pauses[-1]
        if at < last.start:
            raise ClockError("resume cannot come before the pause")
        return replace(self, pauses=(*self.pauses[:-1], Pause(last.start, at.astimezone(UTC))))

    def meet(self, at: datetime) -> Clock:
        """Stop the clock because its duty is done (on time or late)."""
        if self.met_at is not None:
            return self
        clock = self.resume(at) if self.is_paused else self
        return replace(clock, met_at=at.astimezone(UTC))

    def recompute(self, calendar: WorkCalendar) -> Clock:
        """The same facts on another calendar (e.g. once a year is published)."""
        return replace(self, calendar=calendar)
