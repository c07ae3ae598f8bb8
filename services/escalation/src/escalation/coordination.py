"""Which coordination institution (综治中心 / 平安建设协调机构) answers for a region or a unit, which public-security
unit serves a region, and which units lie in an institution's area, from the directory in force (the files, with the
changes dispatch publishes: ``caseflow_common.directory_copy``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from caseflow_common.directory import RegionRecord, UnitRecord, load_regions, load_units
from caseflow_common.directory_copy import DirectorySnapshot

log = logging.getLogger(__name__)

COORDINATION_KIND = "coordination"
PUBLIC_SECURITY_KIND = "public_security"


def directory_files(data_dir: Path) -> tuple[list[UnitRecord], list[RegionRecord]]:
    """The units and regions of the directory files; none when the files are absent."""
    try:
        return load_units(data_dir), load_regions(data_dir)
    except FileNotFoundError:
        log.warning("no directory data: pattern warnings go unaddressed", extra={"data_dir": str(data_dir)})
        return [], []


@dataclass(frozen=True)
class CoordinationMap:
    """Region -> coordination unit of that level; a region without one is answered by its parent's."""

    by_region: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    unit_regions: dict[str, str] = field(default_factory=dict)
    police_by_region: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls, units: Iterable[UnitRecord], regions: Iterable[RegionRecord], police_kind: str = PUBLIC_SECURITY_KIND
    ) -> CoordinationMap:
        """The map of these units and regions."""
        units = list(units)
        police: dict[str, str] = {}
        for u in sorted(units, key=lambda u: u.code):
            if u.kind == police_kind:
                police.setdefault(u.region, u.code)
        return cls(
            by_region={u.region: u.code for u in units if u.kind == COORDINATION_KIND},
            parents={r.code: r.parent for r in regions if r.parent},
            unit_regions={u.code: u.region for u in units},
            police_by_region=police,
        )

    @classmethod
    def of(cls, snapshot: DirectorySnapshot, police_kind: str = PUBLIC_SECURITY_KIND) -> CoordinationMap:
        """The map of the directory in force (the files with dispatch's changes, GZ Art. 5; SZ Art. 8)."""
        return cls.from_records(snapshot.units.values(), snapshot.regions.values(), police_kind)

    def _up(self, region: str | None) -> list[str]:
        """The region and every region above it, nearest first."""
        path: list[str] = []
        while region and region not in path:
            path.append(region)
            region = self.parents.get(region)
        return path

    def knows_unit(self, unit: str) -> bool:
        """True when the directory has this unit."""
        return unit in self.unit_regions

    def police_for(self, region: str) -> str | None:
        """The public-security unit serving the region: its own level's, else the nearest above (SZ Art. 21)."""
        return next((self.police_by_region[r] for r in self._up(region) if r in self.police_by_region), None)

    def units_in_area(self, coordination_unit: str) -> frozenset[str] | None:
        """The units an institution's area holds (its region and every region below it); None for the top
        institution, whose area is the whole city (an unknown institution's area is empty)."""
        region = self.unit_regions.get(coordination_unit)
        if region is None:
            return frozenset()
        if region not in self.parents:
            return None
        return frozenset(u for u, r in self.unit_regions.items() if region in self._up(r))

    def has_own(self, region: str) -> bool:
        """True when the region has a coordination institution of its own level."""
        return region in self.by_region

    def for_region(self, region: str | None) -> str | None:
        """The coordination unit of the region, else of the nearest region above it."""
        return next((self.by_region[r] for r in self._up(region) if r in self.by_region), None)

    def for_unit(self, unit: str) -> str | None:
        """The coordination unit of the level and region a unit serves."""
        return self.for_region(self.unit_regions.get(unit))
