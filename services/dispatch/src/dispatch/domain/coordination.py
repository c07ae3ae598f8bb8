"""What a coordination institution may do: name units within its own area, pass a case up a level; where a
department's request for coordination goes (GZ Art. 10; SZ Art. 24)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dispatch.domain.directory import RegionTree, Unit, UnitDirectory
from dispatch.domain.errors import UnknownUnit, ValidationError


def in_area(unit: Unit, institution: Unit, tree: RegionTree) -> bool:
    """True when the institution may name the unit as lead (主办) or assisting (协办).

    The city's office names anyone. Another institution names the units inside its area (a street centre: its
    street office and community units) and the units above it that serve its area up to the district (a street
    centre: the district's departments), never a unit of another district or street (GZ Art. 10; SZ Art. 24).
    """
    if institution.region == tree.root.code:
        return True
    if unit.region not in tree or institution.region not in tree:
        return False
    if tree.is_within(unit.region, institution.region):
        return True
    return unit.region != tree.root.code and tree.is_within(institution.region, unit.region)


def check_named_units(institution: Unit, named: Iterable[Unit], tree: RegionTree) -> None:
    """ValidationError naming every unit outside the institution's area."""
    outside = [u.code for u in named if not in_area(u, institution, tree)]
    if outside:
        raise ValidationError(
            f"{', '.join(outside)} outside the area of {institution.code} ({institution.region}); "
            "an institution names lead and assisting units within its own area (the city's office names anyone)"
        )


def next_level(institution: Unit, units: UnitDirectory, tree: RegionTree) -> Unit:
    """The coordination institution one level up (street centre -> district office -> city office)."""
    for region in tree.ancestors(institution.region)[1:]:
        found = units.coordination_for(region.code, tree)
        if found is not None and found.code != institution.code:
            return found
    raise ValidationError(f"{institution.code} is the top coordination institution; there is no level above it")


def institution_for(region_codes: Sequence[str], units: UnitDirectory, tree: RegionTree) -> Unit:
    """The coordination institution of the lowest level covering every region of the case."""
    known = [code for code in region_codes if code in tree] or [tree.root.code]
    unit = units.coordination_for(tree.lowest_covering(known).code, tree)
    if unit is None:
        raise UnknownUnit("no coordination institution covers the case's regions")
    return unit
