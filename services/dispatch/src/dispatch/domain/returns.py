"""Where a returned case (退单) goes next: never back to a unit that returned it in this cycle; the next candidate
by the routing table (the rules of the case's region, most specific first), else coordination (DOMAIN
clarifications, 2026-11-30: returns are a tracked dispute, not a loop)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dispatch.domain.catalogue import CategoryCatalogue
from dispatch.domain.directory import RegionTree, Unit, UnitDirectory, UnitLevel
from dispatch.domain.routing import RoutingDecision, RoutingReason, RoutingTable, TargetKind, resolve_rule


def candidates(
    table: RoutingTable,
    category_code: str,
    region_codes: Sequence[str],
    categories: CategoryCatalogue,
    tree: RegionTree,
    units: UnitDirectory,
) -> list[tuple[Unit, str | None]]:
    """The units the table would send the case to, most specific first, each with the rule that names it."""
    category = categories.get(category_code)
    known = [code for code in region_codes if code in tree]
    if category is None or category.multi_department or not known:
        return []  # coordination's matter from the start (GZ Art. 10, 32, 33)
    covering = tree.lowest_covering(known)
    found: list[tuple[Unit, str | None]] = []
    for rule in table.rules_along(category.code, covering.code, tree):
        unit = resolve_rule(rule, covering.code, tree, units)
        if unit is not None and not unit.is_coordination:
            found.append((unit, rule.id))
    if category.whistleblower:
        # Crime clues stay with public security: the district bureau, then the city's (GZ Art. 20, 25).
        for level in (UnitLevel.DISTRICT, UnitLevel.CITY):
            police = units.unit_of_kind(table.crime_unit_kind, covering.code, level, tree)
            if police is not None:
                found.append((police, None))
    unique: dict[str, tuple[Unit, str | None]] = {}
    for unit, rule_id in found:
        unique.setdefault(unit.code, (unit, rule_id))
    return list(unique.values())


def after_return(
    table: RoutingTable,
    category_code: str,
    region_codes: Sequence[str],
    categories: CategoryCatalogue,
    tree: RegionTree,
    units: UnitDirectory,
    *,
    excluded: Collection[str],
) -> RoutingDecision:
    """The first candidate that did not return the case, else the coordination institution (reason returns)."""
    for unit, rule_id in candidates(table, category_code, region_codes, categories, tree, units):
        if unit.code not in excluded:
            known = [code for code in region_codes if code in tree]
            return RoutingDecision(
                target_unit=unit.code,
                target_kind=TargetKind.DEPARTMENT,
                reason=RoutingReason.RULE if rule_id else RoutingReason.SUSPECTED_CRIME,
                routing_version=table.version,
                region_code=tree.lowest_covering(known).code,
                rule_id=rule_id,
            )
    known = [code for code in region_codes if code in tree] or [tree.root.code]
    return table.coordination_for_dispute(known, tree, units)
