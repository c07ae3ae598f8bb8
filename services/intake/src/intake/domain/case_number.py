"""Human-readable case numbers: city prefix, local date, zero-padded daily sequence (GZ-20261121-000123)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

# The city's zone decides which day a case belongs to (API.md: Asia/Shanghai for local arithmetic).
CITY_ZONE: tzinfo = ZoneInfo("Asia/Shanghai")
DEFAULT_WIDTH = 6

_PREFIX = re.compile(r"^[A-Z]{1,8}$")
# The sequence may outgrow its padding on a record day rather than refuse a case.
_CASE_NUMBER = re.compile(r"^(?P<prefix>[A-Z]{1,8})-(?P<date>\d{8})-(?P<seq>\d+)$")


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """The parts of a case number."""

    prefix: str
    local_date: date
    seq: int

    def __str__(self) -> str:
        return format_case_number(self.prefix, self.local_date, self.seq)


def local_date(at: datetime, zone: tzinfo = CITY_ZONE) -> date:
    """The calendar date of an aware instant in the city's zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("local_date needs an aware datetime")
    return at.astimezone(zone).date()


def format_case_number(prefix: str, local_day: date, seq: int, *, width: int = DEFAULT_WIDTH) -> str:
    """PREFIX-YYYYMMDD-NNNNNN for the seq-th case of a local day (seq counts from 1)."""
    if not _PREFIX.match(prefix):
        raise ValueError("case number prefix must be 1-8 capital letters")
    if seq < 1:
        raise ValueError("case number sequence starts at 1")
    return f"{prefix}-{local_day:%Y%m%d}-{seq:0{width}d}"


def case_number_for(
    prefix: str, at: datetime, seq: int, *, zone: tzinfo = CITY_ZONE, width: int = DEFAULT_WIDTH
) -> str:
    """The case number of the seq-th case of the local day in which the instant at falls."""
    return format_case_number(prefix, local_date(at, zone), seq, width=width)


def parse_case_number(text: str, *, width: int = DEFAULT_WIDTH) -> CaseNumber | None:
    """The parts of a case number, or None if text is not one."""
    match = _CASE_NUMBER.match(text.strip())
    if match is None or len(match["seq"]) < width:
        return None
    try:
        day = datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        return None
    seq = int(match["seq"])
    return CaseNumber(match["prefix"], day, seq) if seq >= 1 else None


def parse_case_number_or_raise(text: str, *, width: int = DEFAULT_WIDTH) -> CaseNumber:
    """The parts of a case number; ValueError if text is not one."""
    parsed = parse_case_number(text, width=width)
    if parsed is None:
        raise ValueError(f"not a case number: {text!r}")
    return parsed
