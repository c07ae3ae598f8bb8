"""Consistency checks of a routing table against the category catalogue, region tree and unit directory."""

from __future__ import annotations

from collections import Counter

from caseflow_common.directory import RegionLevel
from dispatch.domain.catalogue import CategoryCatalogue
from dispatch.domain.directory import RegionTree, UnitDirectory, UnitLevel
from dispatch.domain.routing import RoutingRule, RoutingTable, resolve_rule


def check_table(
    table: RoutingTable, categories: CategoryCatalogue, tree: RegionTree, units: UnitDirectory
) -> list[str]:
    """Every error of the table, one human-readable string each (empty list = clean)."""
    errors: list[str] = []
    if table.version < 1:
        errors.append(f"routing version must be a positive integer, got {table.version}")
    for rule_id, n in Counter(r.id for r in table.rules).items():
        if n > 1:
            errors.append(f"rule id {rule_id} is used by {n} rules")
    for (category, region), n in Counter((r.category, r.region) for r in table.rules).items():
        if n > 1:
            errors.append(f"ambiguous: {n} rules for category {category} in region {region}")
    for rule in table.rules:
        errors.extend(_check_rule(rule, table, categories, tree, units))
    return errors


def _check_rule(
    rule: RoutingRule, table: RoutingTable, categories: CategoryCatalogue, tree: RegionTree, units: UnitDirectory
) -> list[str]:
    errors: list[str] = []
    where = f"rule {rule.id}"
    category = categories.get(rule.category)
    if category is None:
        errors.append(f"{where}: unknown category {rule.category}")
    region_known = rule.region in tree
    if not region_known:
        errors.append(f"{where}: unknown region {rule.region}")
    target_level = rule.level
    target_kind = rule.unit_kind
    if rule.unit is not None:
        unit = units.get(rule.unit)
        if unit is None:
            errors.append(f"{where}: unknown unit {rule.unit}")
            return errors
        target_level, target_kind = unit.level, unit.kind
        if rule.unit_kind is not None and unit.kind != rule.unit_kind:
            errors.append(f"{where}: unit {unit.code} is of kind {unit.kind}, not {rule.unit_kind}")
        if region_known and unit.region in tree and not tree.is_within(rule.region, unit.region):
            errors.append(f"{where}: unit {unit.code} covers {unit.region}, which does not contain {rule.region}")
    elif rule.unit_kind is None:
        errors.append(f"{where}: names neither a unit nor a unit kind")
    elif rule.unit_kind not in units.kinds():
        errors.append(f"{where}: unknown unit kind {rule.unit_kind} (no unit of that kind anywhere)")
    elif region_known:
        errors.extend(_check_coverage(rule, tree, units))
    if category is None:
        return errors
    if category.multi_department:
        # Multi-department matters always go to coordination (GZ Art. 10, 32, 33): the rule would never apply.
        errors.append(f"{where}: category {category.code} is multi-department and never routed by rule")
    if category.whistleblower and target_kind != table.crime_unit_kind:
        errors.append(
            f"{where}: crime clue category {category.code} must go to {table.crime_unit_kind} (GZ Art. 20, 25)"
        )
    if target_level == UnitLevel.STREET and not category.grassroots:
        errors.append(
            f"{where}: street-level target for {category.code}, which is not a grassroots matter "
            "(functional-department matters are not pushed down to streets)"
        )
    return errors


def _check_coverage(rule: RoutingRule, tree: RegionTree, units: UnitDirectory) -> list[str]:
    # Every region at the rule's level inside the rule's region must resolve to a unit (else cases fall through).
    level = RegionLevel(rule.level.value)
    anchors = [r for r in tree if r.level == level and tree.is_within(r.code, rule.region)]
    if not anchors:
        anchors = [tree.get_or_raise(rule.region)]
    return [
        f"rule {rule.id}: no {rule.unit_kind} unit serves region {anchor.code}"
        for anchor in anchors
        if resolve_rule(rule, anchor.code, tree, units) is None
    ]
