"""Repeat requests (重复诉求 / 并单): a new report of the same category at the same place while an earlier case is open."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from intake.domain.status import is_open

EARTH_RADIUS_M = 6_371_008.8
# A default only: cities configure their own radius.
DEFAULT_MAX_DISTANCE_M = 100.0


@dataclass(frozen=True, slots=True)
class CaseSpot:
    """What repeat detection needs of a case: category, place and time (status only for existing cases)."""

    case_id: str
    category: str
    received_at: datetime
    grid_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    status: str = "received"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def same_place(a: CaseSpot, b: CaseSpot, max_distance_m: float) -> bool:
    """Same grid, or both located and no farther apart than max_distance_m."""
    if a.grid_code is not None and a.grid_code == b.grid_code:
        return True
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        return haversine_m(a.lat, a.lon, b.lat, b.lon) <= max_distance_m
    return False


def is_repeat(new: CaseSpot, open_case: CaseSpot, max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> bool:
    """True when new repeats open_case: same category, same place, and open_case is earlier and still open."""
    return (
        new.case_id != open_case.case_id
        and new.category == open_case.category
        and is_open(open_case.status)
        and open_case.received_at <= new.received_at
        and same_place(new, open_case, max_distance_m)
    )


def find_repeat(
    new: CaseSpot, candidates: Iterable[CaseSpot], max_distance_m: float = DEFAULT_MAX_DISTANCE_M
) -> CaseSpot | None:
    """The earliest open case that new repeats, or None."""
    matches = [c for c in candidates if is_repeat(new, c, max_distance_m)]
    return min(matches, key=lambda c: (c.received_at, c.case_id)) if matches else None
