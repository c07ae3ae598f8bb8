"""Reference data loaded from files: region tree, units, category catalogue, routing rules.

The files (``data/demo/*.json`` in the embedded default) are validated here; the rules that use them live in
each service's domain. Cities differ, so all of this is data, never code.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class RegionLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


class RegionRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str
    name: str
    level: RegionLevel
    parent: str | None = None
    bbox: list[float] | None = Field(default=None, description="[min_lat, min_lon, max_lat, max_lon] of a grid")


class UnitRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str
    name: str
    level: Literal["city", "district", "street"]
    kind: str
    region: str


class CategoryRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str
    name: str
    group: str
    default_urgency: Literal["emergency", "urgent", "normal", "inquiry"] = "normal"
    default_unit_kind: str | None = None
    multi_department: bool = False
    whistleblower: bool = False
    grassroots: bool = Field(default=False, description="a street office may take it (not pushed down otherwise)")
    channels: list[str] = Field(default_factory=lambda: ["hotline", "grid"])
    fields: list[dict[str, Any]] = Field(default_factory=list)
    public: bool = Field(default=False, description="its cases may be listed publicly (Open311), personal data removed")


class RoutingRuleRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    category: str
    region: str
    unit_kind: str | None = None
    level: Literal["city", "district", "street"] = "district"
    unit: str | None = None


class RoutingFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: int = 1
    rules: list[RoutingRuleRecord]


def _read(path: Path):  # type: ignore[no-untyped-def]
    return orjson.loads(path.read_bytes())


def load_regions(data_dir: Path) -> list[RegionRecord]:
    return TypeAdapter(list[RegionRecord]).validate_python(_read(data_dir / "regions.json"))


def load_units(data_dir: Path) -> list[UnitRecord]:
    return TypeAdapter(list[UnitRecord]).validate_python(_read(data_dir / "units.json"))


def load_categories(data_dir: Path) -> list[CategoryRecord]:
    return TypeAdapter(list[CategoryRecord]).validate_python(_read(data_dir / "categories.json"))


def load_routing(data_dir: Path) -> RoutingFile:
    return RoutingFile.model_validate(_read(data_dir / "routing.json"))


def region_path(regions: dict[str, RegionRecord], code: str) -> list[str]:
    """Codes from ``code`` up to the city (inclusive); unknown codes give an empty path."""
    out: list[str] = []
    seen: set[str] = set()
    cur = regions.get(code)
    while cur is not None and cur.code not in seen:
        out.append(cur.code)
        seen.add(cur.code)
        cur = regions.get(cur.parent) if cur.parent else None
    return out
