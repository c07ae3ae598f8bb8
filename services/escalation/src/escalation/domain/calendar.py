"""Working-time arithmetic on the Chinese official calendar.

Whether a date is a working day is decided by, strongest first:
1. explicit overrides ``{date: "workday" | "holiday"}`` (a city's own decisions);
2. whole published years supplied as data (``CalendarYear``), for years the package does not know or to correct it;
3. the ``chinese_calendar`` package (statutory holidays and 调休 make-up working days; 1.11.0 knows 2004-2026);
4. weekends only, for a year nobody has published yet.  Every result that touched such a day is PROVISIONAL
   and must be recomputed once the year's calendar is loaded.

"Within N working days of receipt" (e.g. GZ Art. 16, 十个工作日内): the receipt day itself is not counted
(Civil Code Art. 201: a period counted in days starts on the following day); the deadline is the end of the last
working window of the N-th working day after the receipt day.  A report received on a non-working day is counted
from the next working day, which is day 1.  N = 0 means the end of the receipt day, or of the next working day
when the receipt day is not one or its working hours are already over.

Working hours count only time inside the working windows of working days (default 09:00-12:00 and 14:00-18:00,
configurable).  Working windows are closed intervals: the end of a window (18:00) is still a working moment, so a
deadline there is met by an action at 18:00 sharp.  Inputs must be timezone-aware; results are UTC; days and
windows are read in the calendar's zone (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import chinese_calendar

from escalation.domain.calendar_data import (
    DEFAULT_WINDOWS,
    CalendarYear,
    DayKind,
    DayStatus,
    Deadline,
    TimeUnit,
    WorkingWindow,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "SHANGHAI",
    "UTC",
    "CalendarYear",
    "DayKind",
    "DayStatus",
    "Deadline",
    "TimeUnit",
    "WorkCalendar",
    "WorkingWindow",
]

UTC = UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Guards against a calendar with no working day at all (e.g. overrides declaring a whole decade a holiday).
MAX_SEARCH_DAYS = 3660
MEMO_LIMIT = 65_536  # results a calendar remembers of its arithmetic over many days (WorkCalendar._memo)
_MISSING = object()
_R = TypeVar("_R")


@cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _require_aware(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {t!r}")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and working windows of one city; all arithmetic is pure."""

    windows: tuple[WorkingWindow, ...] = DEFAULT_WINDOWS
    overrides: Mapping[date, DayKind] = field(default_factory=dict)
    years: Mapping[int, CalendarYear] = field(default_factory=dict)
    zone: ZoneInfo = SHANGHAI
    version: str = "chinese_calendar-1.11.0"
    # Memo of day statuses and windows: a calendar is immutable, and the scheduler asks about the same few
    # dates for every clock of a pass (the package's own lookup is slow).
    _days: dict[date, DayStatus] = field(default_factory=dict, init=False, compare=False, repr=False)
    _bounds: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _totals: dict[date, timedelta] = field(default_factory=dict, init=False, compare=False, repr=False)
    # Memo of the arithmetic over many days (a clock's deadline, allowed time and warning moment are computed anew
    # each time its case's clocks are refreshed, from the same start): results by their arguments, bounded.
    _sums: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("a calendar needs at least one working window")
        windows = tuple(sorted(self.windows, key=lambda w: w.start))
        for earlier, later in zip(windows, windows[1:], strict=False):
            if later.start < earlier.end:
                raise ValueError(f"working windows overlap: {earlier} and {later}")
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "overrides", {d: DayKind(k) for d, k in self.overrides.items()})
        object.__setattr__(self, "years", dict(self.years))

    @classmethod
    def from_data(
        cls,
        *,
        years: Iterable[CalendarYear] = (),
        overrides: Mapping[date, str] | None = None,
        windows: tuple[WorkingWindow, ...] = DEFAULT_WINDOWS,
        zone: ZoneInfo = SHANGHAI,
        version: str = "chinese_calendar-1.11.0",
    ) -> WorkCalendar:
        """Build a calendar from published years and overrides as loaded from a file."""
        return cls(
            windows=windows,
            overrides={d: DayKind(k) for d, k in (overrides or {}).items()},
            years={y.year: y for y in years},
            zone=zone,
            version=version,
        )

    def with_year(self, year: CalendarYear, *, version: str | None = None) -> WorkCalendar:
        """A copy that knows one more published year."""
        return replace(self, years={**self.years, year.year: year}, version=version or self.version)

    # --- days -------------------------------------------------------------------------------------------

    def is_known_year(self, year: int) -> bool:
        """True when someone has published this year (as data or in the package)."""
        return year in self.years or _package_knows(year)

    def day_status(self, day: date) -> DayStatus:
        """Whether the date is a working day, and whether that is provisional."""
        cached = self._days.get(day)
        if cached is None:
            cached = self._days[day] = self._day_status(day)
        return cached

    def _day_status(self, day: date) -> DayStatus:
        kind = self.overrides.get(day)
        if kind is not None:
            return DayStatus(kind is DayKind.WORKDAY, False)
        published = self.years.get(day.year)
        if published is not None:
            return DayStatus(published.is_working_day(day), False)
        if _package_knows(day.year):
            return DayStatus(chinese_calendar.is_workday(day), False)
        return DayStatus(day.weekday() < 5, True)

    def is_working_day(self, day: date) -> bool:
        """True on working days (statutory holidays off, 调休 weekends on)."""
        return self.day_status(day).working

    def local_date(self, t: datetime) -> date:
        """The calendar date of a moment in the city's zone."""
        _require_aware(t)
        return t.astimezone(self.zone).date()

    def window_bounds(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working windows of a date as UTC intervals (empty on non-working days)."""
        cached = self._bounds.get(day)
        if cached is None:
            cached = self._bounds[day] = self._window_bounds(day)
        return cached

    def _window_bounds(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, w.start, tzinfo=self.zone).astimezone(UTC),
                datetime.combine(day, w.end, tzinfo=self.zone).astimezone(UTC),
            )
            for w in self.windows
        ]

    def end_of_working_day(self, day: date) -> datetime:
        """The end of the last working window of a date (UTC)."""
        return datetime.combine(day, self.windows[-1].end, tzinfo=self.zone).astimezone(UTC)

    # --- moments ----------------------------------------------------------------------------------------

    def is_working_moment(self, t: datetime) -> bool:
        """True when t lies inside a working window of a working day (window ends included)."""
        return any(s <= t <= e for s, e in self.window_bounds(self.local_date(t)))

    def next_working_moment(self, t: datetime) -> datetime:
        """t itself if it is a working moment, else the start of the next working window (UTC)."""
        day = self.local_date(t)
        for _ in range(MAX_SEARCH_DAYS):
            for start, end in self.window_bounds(day):
                if t <= end:
                    return max(start, t.astimezone(UTC))
            day += timedelta(days=1)
        raise ValueError(f"no working moment within {MAX_SEARCH_DAYS} days of {t}")

    # --- arithmetic -------------------------------------------------------------------------------------

    def _memo(self, key: tuple[Any, ...], compute: Callable[[], _R]) -> _R:
        """``compute()``, remembered under ``key`` (the memo starts afresh once it holds ``MEMO_LIMIT`` results)."""
        found = self._sums.get(key, _MISSING)
        if found is _MISSING:
            if len(self._sums) >= MEMO_LIMIT:
                self._sums.clear()
            found = self._sums[key] = compute()
        return cast(_R, found)

    def add_working_days(self, start: datetime, n: int) -> Deadline:
        """End of the working day that is the n-th working day after the receipt day (see module doc)."""
        return self._memo(("days", start, n), lambda: self._add_working_days(start, n))

    def _add_working_days(self, start: datetime, n: int) -> Deadline:
        if n < 0 or int(n) != n:
            raise ValueError(f"working days must be a non-negative whole number: {n}")
        day = self.local_date(start)
        status = self.day_status(day)
        provisional = status.provisional
        same_day = status.working and start <= self.end_of_working_day(day)
        counted = 1 if same_day and n == 0 else 0
        for _ in range(MAX_SEARCH_DAYS):
            if counted >= max(int(n), 1):
                return Deadline(self.end_of_working_day(day), provisional)
            day += timedelta(days=1)
            status = self.day_status(day)
            provisional = provisional or status.provisional
            counted += status.working
        raise ValueError(f"no {n} working days within {MAX_SEARCH_DAYS} days of {start}")

    def add_working_time(self, start: datetime, duration: timedelta) -> Deadline:
        """The moment when `duration` of working time has elapsed after start."""
        return self._memo(("time", start, duration), lambda: self._add_working_time(start, duration))

    def _add_working_time(self, start: datetime, duration: timedelta) -> Deadline:
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative: {duration}")
        day = self.local_date(start)
        start = start.astimezone(UTC)
        remaining = duration
        provisional = False
        for _ in range(MAX_SEARCH_DAYS):
            status = self.day_status(day)
            provisional = provisional or status.provisional
            bounds = self.window_bounds(day)
            if bounds and bounds[0][0] >= start and self._day_total(day) < remaining:
                remaining -= self._day_total(day)  # the whole day is used up: skip its windows
                day += timedelta(days=1)
                continue
            for w_start, w_end in bounds:
                if w_end < start:
                    continue
                begin = max(w_start, start)
                available = w_end - begin
                if remaining <= available:
                    return Deadline(begin + remaining, provisional)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no {duration} of working time within {MAX_SEARCH_DAYS} days of {start}")

    def add_working_hours(self, start: datetime, hours: float) -> Deadline:
        """The moment when `hours` working hours have elapsed after start."""
        return self.add_working_time(start, timedelta(hours=hours))

    def add_natural(self, start: datetime, delta: timedelta) -> Deadline:
        """Plain elapsed time; never provisional."""
        _require_aware(start)
        return Deadline(start.astimezone(UTC) + delta, False)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside [a, b] (negative when b is before a)."""
        return self._memo(("between", a, b), lambda: self._working_time_between(a, b))

    def _working_time_between(self, a: datetime, b: datetime) -> timedelta:
        _require_aware(a)
        _require_aware(b)
        if b < a:
            return -self.working_time_between(b, a)
        day, last = self.local_date(a), self.local_date(b)
        total = self._overlap(day, a, b)
        if day == last:
            return total
        day += timedelta(days=1)
        while day < last:  # whole days in between: their cached totals
            total += self._day_total(day)
            day += timedelta(days=1)
        return total + self._overlap(last, a, b)

    def _overlap(self, day: date, a: datetime, b: datetime) -> timedelta:
        total = timedelta(0)
        for w_start, w_end in self.window_bounds(day):
            overlap = min(w_end, b) - max(w_start, a)
            if overlap > timedelta(0):
                total += overlap
        return total

    def _day_total(self, day: date) -> timedelta:
        total = self._totals.get(day)
        if total is None:
            total = self._totals[day] = sum((e - s for s, e in self.window_bounds(day)), timedelta(0))
        return total

    # --- by unit ----------------------------------------------------------------------------------------

    def add(self, start: datetime, amount: float, unit: TimeUnit) -> Deadline:
        """Deadline `amount` of `unit` after start."""
        if unit is TimeUnit.WORKING_DAYS:
            if int(amount) != amount:
                raise ValueError(f"working days must be a whole number: {amount}")
            return self.add_working_days(start, int(amount))
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        return self.add_natural(start, timedelta(hours=amount))

    def elapsed(self, a: datetime, b: datetime, unit: TimeUnit) -> timedelta:
        """Time between a and b as the unit counts it (working time for working units)."""
        if unit is TimeUnit.NATURAL_HOURS:
            return b - a
        return self.working_time_between(a, b)

    def shift(self, t: datetime, duration: timedelta, unit: TimeUnit) -> Deadline:
        """Move a moment later by `duration` as the unit counts time."""
        if unit is TimeUnit.NATURAL_HOURS:
            return self.add_natural(t, duration)
        return self.add_working_time(t, duration)
