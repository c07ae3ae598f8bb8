"""Region tree (city -> district -> street/town -> community -> grid) and the directory of units."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from caseflow_common.directory import RegionLevel
from dispatch.domain.errors import UnknownRegion, UnknownUnit


class UnitLevel(StrEnum):
    """Administrative level a unit works at."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"


# The unit kind of coordination institutions: 平安建设组织协调机构办公室 (city, district) and
# 综治中心 (street/town), GZ Art. 4, 7; SZ Art. 14, 24.
COORDINATION_KIND = "coordination"


class Region(BaseModel):
    """One node of the region tree."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    name: str
    level: RegionLevel
    parent: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon


class Unit(BaseModel):
    """A department, street office or coordination institution, and the region it covers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    name: str
    level: UnitLevel
    kind: str
    region: str

    @property
    def is_coordination(self) -> bool:
        """True for coordination institutions."""
        return self.kind == COORDINATION_KIND


class RegionTree:
    """The region hierarchy with ancestor and common-ancestor queries."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._by_code: dict[str, Region] = {}
        for region in regions:
            if region.code in self._by_code:
                raise ValueError(f"region {region.code} is listed twice")
            self._by_code[region.code] = region
        roots = [r for r in self._by_code.values() if r.parent is None]
        if len(roots) != 1:
            raise ValueError(f"the region tree needs exactly one root, found {len(roots)}")
        self.root = roots[0]
        for region in self._by_code.values():
            if region.parent is not None and region.parent not in self._by_code:
                raise ValueError(f"region {region.code} names unknown parent {region.parent}")
        for region in self._by_code.values():
            self.ancestors(region.code)  # refuses cycles early

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> RegionTree:
        """Build the tree from parsed JSON objects."""
        return cls(Region.model_validate(item) for item in items)

    def get(self, code: str) -> Region | None:
        """The region with this code, or None."""
        return self._by_code.get(code)

    def get_or_raise(self, code: str) -> Region:
        """The region with this code; UnknownRegion if there is none."""
        region = self._by_code.get(code)
        if region is None:
            raise UnknownRegion(f"unknown region {code!r}")
        return region

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def ancestors(self, code: str) -> list[Region]:
        """The region itself, then each parent up to the city (self first)."""
        chain: list[Region] = []
        current: Region | None = self.get_or_raise(code)
        while current is not None:
            if len(chain) > len(self._by_code):
                raise ValueError(f"region {code} sits on a parent cycle")
            chain.append(current)
            current = self._by_code.get(current.parent) if current.parent else None
        return chain

    def path(self, code: str) -> list[Region]:
        """The regions from the city down to this one (city first)."""
        return list(reversed(self.ancestors(code)))

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when `ancestor` is the region itself or one of its ancestors."""
        return any(r.code == ancestor for r in self.ancestors(code))

    def ancestor_at(self, code: str, level: RegionLevel | str) -> Region | None:
        """The ancestor-or-self at the given level, or None when the region sits above that level."""
        return next((r for r in self.ancestors(code) if r.level == level), None)

    def lowest_covering(self, codes: Iterable[str]) -> Region:
        """The lowest region that contains every given region (their nearest common ancestor)."""
        codes = list(codes)
        if not codes:
            raise ValueError("at least one region is needed")
        common = [r.code for r in self.path(codes[0])]
        for code in codes[1:]:
            other = [r.code for r in self.path(code)]
            keep = 0
            while keep < min(len(common), len(other)) and common[keep] == other[keep]:
                keep += 1
            common = common[:keep]
        return self._by_code[common[-1]]

    def district_of(self, code: str) -> Region | None:
        """The district a region lies in (None for the city itself)."""
        return self.ancestor_at(code, RegionLevel.DISTRICT)


class UnitDirectory:
    """Units by code, by (kind, region) and the coordination institutions."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._by_code: dict[str, Unit] = {}
        self._by_kind_region: dict[tuple[str, str], Unit] = {}
        for unit in units:
            if unit.code in self._by_code:
                raise ValueError(f"unit {unit.code} is listed twice")
            self._by_code[unit.code] = unit
            # The first unit listed for a (kind, region) answers for it.
            self._by_kind_region.setdefault((unit.kind, unit.region), unit)

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> UnitDirectory:
        """Build the directory from parsed JSON objects."""
        return cls(Unit.model_validate(item) for item in items)

    def get(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        return self._by_code.get(code)

    def get_or_raise(self, code: str) -> Unit:
        """The unit with this code; UnknownUnit if there is none."""
        unit = self._by_code.get(code)
        if unit is None:
            raise UnknownUnit(f"unknown unit {code!r}")
        return unit

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def kinds(self) -> set[str]:
        """Every unit kind present in the directory."""
        return {u.kind for u in self._by_code.values()}

    def at(self, kind: str, region_code: str) -> Unit | None:
        """The unit of this kind whose region is exactly this region, or None."""
        return self._by_kind_region.get((kind, region_code))

    def unit_of_kind(self, kind: str, region_code: str, level: UnitLevel | str, tree: RegionTree) -> Unit | None:
        """The unit of `kind` covering the region's ancestor at `level`, falling back to the city unit."""
        anchor = tree.ancestor_at(region_code, level)
        if anchor is not None:
            unit = self.at(kind, anchor.code)
            if unit is not None:
                return unit
        return self.at(kind, tree.root.code)

    def coordination_for(self, region_code: str, tree: RegionTree) -> Unit | None:
        """The coordination institution at this region, walking up the tree when it has none."""
        for region in tree.ancestors(region_code):
            unit = self.at(COORDINATION_KIND, region.code)
            if unit is not None:
                return unit
        return None
