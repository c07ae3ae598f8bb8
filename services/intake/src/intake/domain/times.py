"""The times a sender states (a report's received_at / observed_at, a visit's visited_at): facts, within limits.

A citizen's or grid member's own time is kept as a fact on the case, never as the start of a unit's clock; a time far
in the past or ahead of the clock beyond a small skew is refused (DOMAIN.md, clarifications of 2026-11-30), so a
backdated report never reaches a unit looking weeks overdue (GZ Art. 48; SZ Art. 56 apply to the unit's own time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class TimeLimits:
    """How far back and how far ahead of the clock a stated time may lie (both settings)."""

    max_age: timedelta = timedelta(days=30)
    future_skew: timedelta = timedelta(minutes=5)


def in_utc(value: datetime) -> datetime | None:
    """The instant in UTC, or None when it cannot be represented (e.g. 0001-01-01T00:00+08:00, 9999-12-31T23:59-08:00)."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def time_refusal(value: datetime, now: datetime, limits: TimeLimits) -> str | None:
    """Why a stated time is refused against the clock, or None when it is acceptable."""
    utc = in_utc(value)
    if utc is None:
        return "time is outside the representable range"
    if utc > now + limits.future_skew:
        return f"time lies in the future (more than {int(limits.future_skew.total_seconds())} s ahead of the clock)"
    if utc < now - limits.max_age:
        days = limits.max_age.days
        return f"time lies more than {days} day{'' if days == 1 else 's'} in the past"
    return None
