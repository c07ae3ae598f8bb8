"""Reference data loaded from files: the region tree, the unit directory, the category catalogue, the seed routing.

The files seed the stored, versioned directory (``directory_store``); the Reference in force is built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from caseflow_common import directory as files
from dispatch.domain import CategoryCatalogue, RegionTree, UnitDirectory, UnitLevel, ValidationError


@dataclass(frozen=True)
class Reference:
    """What routing and the views look things up in; the seed routing table is version 1 of the stored tables."""

    tree: RegionTree
    units: UnitDirectory
    categories: CategoryCatalogue
    seed_routing: dict[str, Any]  # the routing file: {"version": n, "rules": [...]}
    # The directory version this is (the newest change in force) and the names retired units last had.
    directory_version: int = 1
    retired_names: Mapping[str, str] = field(default_factory=dict)

    def unit_name(self, code: str | None) -> str:
        """The unit's name (a retired unit's last name), or its code when unknown."""
        unit = self.units.get(code) if code else None
        if unit is not None:
            return unit.name
        return self.retired_names.get(code or "", code or "")

    def seed_records(self) -> dict[str, list[dict[str, Any]]]:
        """The regions and units as the directory's first version stores them."""
        return {
            "regions": [r.model_dump(mode="json", exclude_none=True) for r in self.tree],
            "units": [u.model_dump(mode="json") for u in self.units],
        }

    def district_of(self, region_code: str) -> str | None:
        """The district code a region lies in, or None (city, unknown region)."""
        if region_code not in self.tree:
            return None
        district = self.tree.district_of(region_code)
        return district.code if district is not None else None

    def handling_unit(self, code: str | None, field: str) -> str:
        """The code of a unit that handles cases (not a coordination institution); ValidationError otherwise."""
        unit = self.units.get(code) if code else None
        if unit is None:
            raise ValidationError(f"{field}: unknown unit {code!r}")
        if unit.is_coordination:
            raise ValidationError(f"{field}: {code} is a coordination institution, not a handling unit")
        return unit.code

    def police_for(self, region_code: str, crime_unit_kind: str) -> str:
        """The public security unit covering the region (suspected crime, SZ Art. 25); ValidationError if none."""
        police = None
        if region_code in self.tree:
            police = self.units.unit_of_kind(crime_unit_kind, region_code, UnitLevel.DISTRICT, self.tree)
        if police is None:
            raise ValidationError("no public security unit covers the case's region; name to_unit")
        return police.code


# Category fields only dispatch reads (the shared file model ignores them): who is notified of such cases.
DISPATCH_CATEGORY_FIELDS = ("notify_unit_kinds", "notice_basis")


def _categories(data_dir: Path) -> CategoryCatalogue:
    """The catalogue as the shared model validates it, with the fields only dispatch reads taken from the file."""
    raw = {item.get("code"): item for item in orjson.loads((data_dir / "categories.json").read_bytes())}
    items = []
    for record in files.load_categories(data_dir):
        item = record.model_dump(mode="json", exclude_none=True)
        extra = raw.get(record.code) or {}
        item.update({name: extra[name] for name in DISPATCH_CATEGORY_FIELDS if name in extra})
        items.append(item)
    return CategoryCatalogue.from_dicts(items)


def load_reference(data_dir: Path) -> Reference:
    """Read and validate the directory files (regions, units, categories, routing)."""
    return Reference(
        tree=RegionTree.from_dicts(r.model_dump(mode="json") for r in files.load_regions(data_dir)),
        units=UnitDirectory.from_dicts(u.model_dump(mode="json") for u in files.load_units(data_dir)),
        categories=_categories(data_dir),
        seed_routing=files.load_routing(data_dir).model_dump(mode="json"),
    )
