"""Reference data loaded from files: the region tree, the unit directory, the category catalogue, the seed routing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from caseflow_common import directory as files
from dispatch.domain import CategoryCatalogue, RegionTree, RoutingTable, UnitDirectory


@dataclass(frozen=True)
class Reference:
    """What routing and the views look things up in; the seed routing table is version 1 of the stored tables."""

    tree: RegionTree
    units: UnitDirectory
    categories: CategoryCatalogue
    seed_routing: dict

    def unit_name(self, code: str | None) -> str:
        """The unit's name, or its code when unknown."""
        unit = self.units.get(code) if code else None
        return unit.name if unit is not None else (code or "")

    def district_of(self, region_code: str) -> str | None:
        """The district code a region lies in, or None (city, unknown region)."""
        if region_code not in self.tree:
            return None
        district = self.tree.district_of(region_code)
        return district.code if district is not None else None

    def table_from_rules(self, version: int, rules: list[dict], crime_unit_kind: str) -> RoutingTable:
        """A routing table of the given version."""
        return RoutingTable.from_dict({"version": version, "rules": rules}, crime_unit_kind=crime_unit_kind)


def load_reference(data_dir: Path) -> Reference:
    """Read and validate the directory files (regions, units, categories, routing)."""
    return Reference(
        tree=RegionTree.from_dicts(r.model_dump(mode="json") for r in files.load_regions(data_dir)),
        units=UnitDirectory.from_dicts(u.model_dump(mode="json") for u in files.load_units(data_dir)),
        categories=CategoryCatalogue.from_dicts(
            c.model_dump(mode="json", exclude_none=True) for c in files.load_categories(data_dir)
        ),
        seed_routing=files.load_routing(data_dir).model_dump(mode="json"),
    )
