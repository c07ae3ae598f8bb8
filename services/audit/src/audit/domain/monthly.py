"""Monthly analysis of cases by category and area, with change against the previous month (GZ Art. 19)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

# Asia/Shanghai keeps no daylight saving: a fixed +08:00 places a case in the right month.
CITY_TZ: tzinfo = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class CaseCountRow:
    """One received case as the monthly analysis sees it."""

    category: str
    region: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A count this month against last month; percent is None when last month had none."""

    key: str | tuple[str, str]
    current: int
    previous: int

    @property
    def delta(self) -> int:
        """current - previous."""
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Change in percent of last month, or None when last month was 0."""
        return None if self.previous == 0 else self.delta * 100.0 / self.previous


@dataclass(frozen=True, slots=True)
class MonthlyAnalysis:
    """Counts of one month by category, by region and by both, each with its change."""

    month: str
    previous_month: str
    total: Change
    by_category: tuple[Change, ...]
    by_region: tuple[Change, ...]
    by_category_region: tuple[Change, ...]


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of 'YYYY-MM'; raises ValueError on anything else."""
    year_s, sep, month_s = month.partition("-")
    if not sep or len(year_s) != 4 or len(month_s) != 2 or not (year_s + month_s).isdigit():
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    year, mon = int(year_s), int(month_s)
    if not 1 <= mon <= 12:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return year, mon


def previous_month(month: str) -> str:
    """The month before 'YYYY-MM'."""
    year, mon = parse_month(month)
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def _changes(current: Counter[Any], previous: Counter[Any]) -> tuple[Change, ...]:
    keys = sorted(set(current) | set(previous))
    return tuple(Change(k, current[k], previous[k]) for k in keys)


def month_range(month: str, tz: tzinfo = CITY_TZ) -> tuple[datetime, datetime]:
    """[start, end) of 'YYYY-MM' in the city's zone, as UTC instants; ValueError when the calendar cannot hold them
    (year 0, the end of 9999-12, the start of 0001-01 east of UTC)."""
    year, mon = parse_month(month)
    try:
        start = datetime(year, mon, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz) if mon == 12 else datetime(year, mon + 1, 1, tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"month {month} lies outside the calendar the analysis can count") from None


def analysis_from_counts(
    month: str, current: Mapping[tuple[str, str], int], previous: Mapping[tuple[str, str], int]
) -> MonthlyAnalysis:
    """The analysis from case counts per (category, region) of `month` and of the month before."""
    cur: dict[str, Counter[Any]] = {"c": Counter(), "r": Counter(), "cr": Counter()}
    prev: dict[str, Counter[Any]] = {"c": Counter(), "r": Counter(), "cr": Counter()}
    for counts, target in ((current, cur), (previous, prev)):
        for (category, region), n in counts.items():
            target["c"][category] += n
            target["r"][region] += n
            target["cr"][(category, region)] += n
    return MonthlyAnalysis(
        month=month,
        previous_month=previous_month(month),
        total=Change("total", sum(cur["c"].values()), sum(prev["c"].values())),
        by_category=_changes(cur["c"], prev["c"]),
        by_region=_changes(cur["r"], prev["r"]),
        by_category_region=_changes(cur["cr"], prev["cr"]),
    )


def monthly_analysis(rows: Iterable[CaseCountRow], month: str, tz: tzinfo = CITY_TZ) -> MonthlyAnalysis:
    """Counts for `month` (in the city's zone) by category, region and both, against the month before."""
    parse_month(month)
    prev_m = previous_month(month)
    cur: Counter[tuple[str, str]] = Counter()
    prev: Counter[tuple[str, str]] = Counter()
    for row in rows:
        at = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)  # stored in UTC
        label = at.astimezone(tz).strftime("%Y-%m")
        target = cur if label == month else prev if label == prev_m else None
        if target is not None:
            target[(row.category, row.region)] += 1
    return analysis_from_counts(month, cur, prev)
