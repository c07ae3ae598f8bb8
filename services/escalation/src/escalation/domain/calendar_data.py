"""Calendar data: units of time, working windows and published years (loaded from files, passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple


class DayKind(StrEnum):
    """What an override or a published year says a date is."""

    WORKDAY = "workday"
    HOLIDAY = "holiday"


class TimeUnit(StrEnum):
    """How an allowed duration is measured."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    NATURAL_HOURS = "natural_hours"


# The longest period a rule may set, per unit (about two years): a longer one is refused when the rules are saved,
# never found later as a deadline that cannot be counted (the calendar looks at most ten years ahead).
MAX_PERIOD: dict[TimeUnit, float] = {
    TimeUnit.WORKING_DAYS: 500,
    TimeUnit.WORKING_HOURS: 4000,
    TimeUnit.NATURAL_HOURS: 2 * 366 * 24,
}


def period_problems(amount: float, unit: TimeUnit) -> list[str]:
    """What is wrong with a period of `amount` `unit` (a clock's allowed time, a rung's rectification), in words."""
    found: list[str] = []
    if not amount > 0:
        found.append(f"amount must be positive, got {amount}")
    elif amount > MAX_PERIOD[unit]:
        found.append(f"amount must be at most {MAX_PERIOD[unit]:g} {unit}, got {amount:g}")
    if unit is TimeUnit.WORKING_DAYS and int(min(amount, MAX_PERIOD[unit])) != amount:
        found.append(f"working days must be whole, got {amount}")
    return found


class Deadline(NamedTuple):
    """A computed moment (UTC) and whether it rests on an unpublished year."""

    at: datetime
    provisional: bool


class DayStatus(NamedTuple):
    """Whether a date is a working day, and whether that is only a weekends-only guess."""

    working: bool
    provisional: bool


@dataclass(frozen=True)
class WorkingWindow:
    """One daily stretch of working time in local wall-clock time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"working window must end after it starts: {self.start}-{self.end}")


DEFAULT_WINDOWS: tuple[WorkingWindow, ...] = (
    WorkingWindow(time(9, 0), time(12, 0)),
    WorkingWindow(time(14, 0), time(18, 0)),
)


@dataclass(frozen=True)
class CalendarYear:
    """A published year: its holidays and its working days (调休 weekends); other days follow weekday/weekend."""

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        stray = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if stray:
            raise ValueError(f"dates outside {self.year}: {stray}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"dates both holiday and workday: {both}")

    def is_working_day(self, day: date) -> bool:
        """Working unless listed as holiday; weekends are working only when listed as workdays."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5
