"""Units the regulations say must be informed of a kind of case, beside the unit handling it: e.g. the city's
mental-health centre of cases of severe mental disorder (SZ Art. 44 ¶2: information shared with the departments and
streets). A notice gives read access, no duty and no clocks."""

from __future__ import annotations

from dispatch.domain.catalogue import Category
from dispatch.domain.directory import RegionTree, Unit, UnitDirectory, UnitLevel


def notified_units(category: Category, region_code: str, tree: RegionTree, units: UnitDirectory) -> list[Unit]:
    """The unit of each notified kind nearest to the case's region (its district's, else the city's)."""
    if region_code not in tree:
        region_code = tree.root.code
    found: dict[str, Unit] = {}
    for kind in category.notify_unit_kinds:
        unit = units.unit_of_kind(kind, region_code, UnitLevel.DISTRICT, tree)
        if unit is not None:
            found.setdefault(unit.code, unit)
    return list(found.values())
