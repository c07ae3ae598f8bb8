"""Settings of the escalation service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    service_name: str = "escalation"
    http_port: int = 8003
    database_url: str = "sqlite+aiosqlite:///./var/escalation.db"
    calendar_file: Path | None = Field(
        default=None, description="JSON calendar (published years, overrides) loaded when no admin version exists"
    )
    scheduler_enabled: bool = Field(default=True, description="run the timer loop in this process")
    scheduler_interval_s: float = Field(default=1.0, gt=0, description="pause between scheduler passes when idle")
    scheduler_batch: int = Field(default=500, ge=1, le=10000, description="due clocks claimed per transaction")
    gauge_interval_s: float = Field(default=30.0, gt=0, description="how often open/provisional counts refresh")
    # Pattern triggers (SZ Art. 21; GZ Art. 48(3)): thresholds are a city's choice.
    repeat_threshold: int = Field(default=3, ge=1, description="repeats merged into one case that raise a warning")
    hotspot_threshold: int = Field(default=10, ge=1, description="cases of one category in one region per window")
    hotspot_window_hours: float = Field(default=168, gt=0)
    satisfaction_threshold: float = Field(default=0.8, gt=0, le=1, description="satisfied share below which to warn")
    satisfaction_last: int = Field(default=10, ge=1, description="latest evaluations of a unit that are rated")
    satisfaction_window_hours: float = Field(default=168, gt=0)
