"""The calendar document of GET/PUT /v1/admin/calendar and of the calendar file: published years and overrides."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from escalation.domain.calendar import DEFAULT_WINDOWS, CalendarYear, DayKind, WorkCalendar, WorkingWindow


class CalendarYearDoc(BaseModel):
    """A year published by the State Council: its holidays and its make-up working days (调休)."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1990, le=2200)
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarYearDoc:
        self.to_domain()  # raises ValueError on dates outside the year or both holiday and workday
        return self

    def to_domain(self) -> CalendarYear:
        return CalendarYear(self.year, frozenset(self.holidays), frozenset(self.workdays))


class WindowDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time
    end: time


class CalendarDocument(BaseModel):
    """Body of PUT /v1/admin/calendar: years the package does not know (or corrections), single-day overrides."""

    model_config = ConfigDict(extra="forbid")
    years: list[CalendarYearDoc] = Field(default_factory=list)
    overrides: dict[date, DayKind] = Field(default_factory=dict)
    windows: list[WindowDoc] = Field(
        default_factory=lambda: [WindowDoc(start=w.start, end=w.end) for w in DEFAULT_WINDOWS], min_length=1
    )

    @model_validator(mode="after")
    def _usable(self) -> CalendarDocument:
        years = [y.year for y in self.years]
        if len(set(years)) != len(years):
            raise ValueError("a year appears twice")
        self.to_domain(0)  # raises ValueError on bad or overlapping windows
        return self

    def to_domain(self, version: int) -> WorkCalendar:
        """The working calendar this document describes."""
        return WorkCalendar.from_data(
            years=[y.to_domain() for y in self.years],
            overrides=dict(self.overrides),
            windows=tuple(WorkingWindow(w.start, w.end) for w in self.windows),
            version=f"calendar-{version}",
        )


def load_calendar_file(path: Path) -> CalendarDocument:
    """Read a calendar file (same shape as the admin document)."""
    return CalendarDocument.model_validate_json(path.read_bytes())
