"""Region directory lookups intake needs: levels, paths to the root, and grids by bounding box."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Levels a report may name (API.md: grid, community, street or district code); a city-level code is too coarse.
DEFAULT_REPORTABLE_LEVELS: frozenset[str] = frozenset({"grid", "community", "street", "district"})
GRID_LEVEL = "grid"


def attr(entry: Any, name: str, default: Any = None) -> Any:
    """Read a field from a mapping or an object alike (directory entries come as either)."""
    if isinstance(entry, Mapping):
        return entry.get(name, default)
    return getattr(entry, name, default)


@dataclass(frozen=True, slots=True)
class BBox:
    """A grid's bounding box in degrees (WGS-84), in the directory's order: south-west corner, then north-east."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        """True when the point lies inside or on the edge of the box."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    @property
    def area(self) -> float:
        """Area in square degrees, only to prefer the tighter of two overlapping boxes."""
        return (self.max_lon - self.min_lon) * (self.max_lat - self.min_lat)


def parse_bbox(raw: Any) -> BBox | None:
    """A BBox from the directory's order [min_lat, min_lon, max_lat, max_lon] or a mapping with those keys; None if absent.

    The region directory (caseflow_common.directory.RegionRecord) lists latitude first, unlike GeoJSON.
    """
    if raw is None:
        return None
    if isinstance(raw, BBox):
        return raw
    if isinstance(raw, Mapping):
        values = [raw.get(k) for k in ("min_lat", "min_lon", "max_lat", "max_lon")]
    elif isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw) == 4:
        values = list(raw)
    else:
        return None
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    if len(numbers) != len(values):
        return None
    return BBox(*numbers)


def region_level(regions: Mapping[str, Any], code: str) -> str | None:
    """The level of a region code, or None when the directory does not know it."""
    entry = regions.get(code)
    return None if entry is None else attr(entry, "level")


def region_path(regions: Mapping[str, Any], code: str) -> list[str] | None:
    """Codes from the root down to code (city, district, street, community, grid), or None if code is unknown."""
    if code not in regions:
        return None
    path: list[str] = []
    current: str | None = code
    while current is not None and current in regions and current not in path:  # guard against a cyclic file
        path.append(current)
        current = attr(regions[current], "parent")
    return list(reversed(path))


_GRID_BOXES: dict[int, tuple[Mapping[str, Any], int, list[tuple[BBox, str]]]] = {}


def grid_boxes(regions: Mapping[str, Any]) -> list[tuple[BBox, str]]:
    """The grids' parsed boxes, computed once per directory (this runs on every located report)."""
    cached = _GRID_BOXES.get(id(regions))
    if cached is not None and cached[0] is regions and cached[1] == len(regions):
        return cached[2]
    boxes = [
        (box, code)
        for code, entry in regions.items()
        if attr(entry, "level") == GRID_LEVEL and (box := parse_bbox(attr(entry, "bbox"))) is not None
    ]
    _GRID_BOXES[id(regions)] = (regions, len(regions), boxes)
    return boxes


def resolve_region(lat: float, lon: float, regions: Mapping[str, Any]) -> str | None:
    """The grid whose bounding box holds the point (the tightest one where boxes overlap), or None."""
    hits = [(box.area, code) for box, code in grid_boxes(regions) if box.contains(lat, lon)]
    return min(hits)[1] if hits else None
