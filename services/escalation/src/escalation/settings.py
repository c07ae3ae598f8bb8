"""Settings of the escalation service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from caseflow_common.settings import CommonSettings
from escalation.domain.policy import ClockKind


def _ascending(levels: list[int] | None) -> list[int] | None:
    if levels is not None and (
        not levels or any(n < 1 for n in levels) or any(b <= a for a, b in zip(levels, levels[1:], strict=False))
    ):
        raise ValueError("warning levels need ascending positive counts, e.g. [10, 20, 40]")
    return levels


class Settings(CommonSettings):
    service_name: str = "escalation"
    http_port: int = 8003
    database_url: str = "sqlite+aiosqlite:///./var/escalation.db"
    calendar_file: Path | None = Field(
        default=None, description="JSON calendar (published years, overrides) loaded when no admin version exists"
    )
    scheduler_enabled: bool = Field(default=True, description="run the timer loop in this process")
    directory_refresh_s: float = Field(
        default=2.0, gt=0, description="how often a replica reads the directory changes another one received"
    )
    scheduler_interval_s: float = Field(default=5.0, gt=0, description="pause between scheduler passes when idle")
    scheduler_batch: int = Field(default=500, ge=1, le=10000, description="due clocks claimed per transaction")
    gauge_interval_s: float = Field(default=30.0, gt=0, description="how often open/provisional counts refresh")
    event_time_skew_s: float = Field(
        default=300,
        ge=0,
        description="how far past this service's clock an event's time may lie; a later time (a producer's clock "
        "far ahead, a year-9999 time) is taken as this service's clock, with a logged warning",
    )
    assisting_clock_kinds: list[ClockKind] = Field(
        default=[ClockKind.SIGN_FOR, ClockKind.HANDLING],
        description="the clocks an assisting unit (协办, GZ Art. 10) owes on its own part, with the case's policy",
    )
    manual_rectification_max_days: int = Field(
        default=366, ge=1, le=3660, description="how far ahead a supervisor may set a rectification deadline by hand"
    )
    # Pattern triggers (SZ Art. 21; GZ Art. 48(3)): thresholds are a city's choice.
    repeat_threshold: int = Field(default=3, ge=1, description="repeats merged into one case that raise a warning")
    repeat_levels: list[int] | None = Field(
        default=None,
        description="ascending repeat counts of warning levels 1, 2, 3 ... (SZ Art. 21 分级预警); unset: "
        "repeat_threshold, twice and four times it",
    )
    hotspot_threshold: int = Field(default=10, ge=1, description="cases of one category in one region per window")
    hotspot_window_hours: float = Field(default=168, gt=0)
    hotspot_levels: list[int] | None = Field(
        default=None,
        description="ascending case counts per window of warning levels 1, 2, 3 ... (SZ Art. 21 分级预警); unset: "
        "hotspot_threshold, twice and four times it",
    )
    crime_clue_categories: list[str] = Field(
        default=["clue.*"],
        description="categories whose hotspots are crime clues and also reach the area's public-security unit "
        "(SZ Art. 21); `prefix.*` matches every category under it",
    )
    public_security_kind: str = Field(
        default="public_security", description="the directory's unit kind of public security (公安)"
    )
    satisfaction_threshold: float = Field(default=0.8, gt=0, le=1, description="satisfied share below which to warn")
    satisfaction_last: int = Field(default=10, ge=1, description="latest evaluations of a unit that are rated")
    satisfaction_window_hours: float = Field(default=168, gt=0)

    @field_validator("repeat_levels", "hotspot_levels")
    @classmethod
    def levels_ascend(cls, levels: list[int] | None) -> list[int] | None:
        return _ascending(levels)
