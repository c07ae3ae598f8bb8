"""Which coordination institution (综治中心 / 平安建设协调机构) answers for a region or a unit, from the directory."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from caseflow_common.directory import load_regions, load_units

log = logging.getLogger(__name__)

COORDINATION_KIND = "coordination"


@dataclass(frozen=True)
class CoordinationMap:
    """Region -> coordination unit of that level; a region without one is answered by its parent's."""

    by_region: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    unit_regions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> CoordinationMap:
        """Read units.json and regions.json; an absent directory gives an empty map."""
        try:
            units, regions = load_units(data_dir), load_regions(data_dir)
        except FileNotFoundError:
            log.warning("no directory data: pattern warnings go unaddressed", extra={"data_dir": str(data_dir)})
            return cls()
        return cls(
            by_region={u.region: u.code for u in units if u.kind == COORDINATION_KIND},
            parents={r.code: r.parent for r in regions if r.parent},
            unit_regions={u.code: u.region for u in units},
        )

    def has_own(self, region: str) -> bool:
        """True when the region has a coordination institution of its own level."""
        return region in self.by_region

    def for_region(self, region: str | None) -> str | None:
        """The coordination unit of the region, else of the nearest region above it."""
        seen: set[str] = set()
        while region and region not in seen:
            if region in self.by_region:
                return self.by_region[region]
            seen.add(region)
            region = self.parents.get(region)
        return None

    def for_unit(self, unit: str) -> str | None:
        """The coordination unit of the level and region a unit serves."""
        return self.for_region(self.unit_regions.get(unit))
