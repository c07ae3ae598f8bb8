"""Routing: which department (or coordination institution) a case goes to, and why.

Order of decision, for a case touching one or more regions:
1. The case's region is the lowest region covering every region involved (one street -> that street).
2. A multi-department category goes to the coordination institution of that region (GZ Art. 10; SZ Art. 24).
3. A crime clue / whistleblower category goes to public security, never to coordination (GZ Art. 20, 25; SZ Art. 25).
4. An ordinary case spanning several districts goes to coordination ("cross_region", GZ Art. 10).
5. Otherwise the most specific rule wins: the rule whose region is the nearest ancestor-or-self of the case's region.
6. No rule (or a rule nobody can serve) -> coordination ("no_rule").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from caseflow_common.directory import RegionLevel
from dispatch.domain.catalogue import CategoryCatalogue
from dispatch.domain.directory import Region, RegionTree, Unit, UnitDirectory, UnitLevel
from dispatch.domain.errors import UnknownUnit, ValidationError

# Suspected crime is handed to public security (GZ Art. 20, 25; SZ Art. 25); configurable per table.
DEFAULT_CRIME_UNIT_KIND = "public_security"


class TargetKind(StrEnum):
    """Whether a case goes to a functional department or to a coordination institution."""

    DEPARTMENT = "department"
    COORDINATION = "coordination"


class RoutingReason(StrEnum):
    """Why a routing decision was taken."""

    RULE = "rule"
    NO_RULE = "no_rule"
    MULTI_DEPARTMENT = "multi_department"
    CROSS_REGION = "cross_region"
    SUSPECTED_CRIME = "suspected_crime"  # crime clue with no rule of its own: public security by default
    RETURNS = "returns"  # a dispute after repeated returns


class Role(StrEnum):
    """Role of the unit in handling the case."""

    SOLE = "sole"
    LEAD = "lead"
    ASSISTING = "assisting"


class RoutingRule(BaseModel):
    """(category, region) -> the unit of a kind at a level, or an explicit unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    category: str
    region: str
    unit_kind: str | None = None
    level: UnitLevel = UnitLevel.DISTRICT
    unit: str | None = None  # explicit unit code; overrides kind and level


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Where a case goes, and the rule and table version that decided it."""

    target_unit: str
    target_kind: TargetKind
    reason: RoutingReason
    routing_version: int
    region_code: str  # the lowest region covering every region of the case
    rule_id: str | None = None
    coordination_level: UnitLevel | None = None
    role: Role = Role.SOLE


class RoutingTable:
    """A versioned set of routing rules."""

    def __init__(
        self, version: int, rules: Iterable[RoutingRule], *, crime_unit_kind: str = DEFAULT_CRIME_UNIT_KIND
    ) -> None:
        self.version = version
        self.rules: tuple[RoutingRule, ...] = tuple(rules)
        self.crime_unit_kind = crime_unit_kind
        self._index: dict[tuple[str, str], RoutingRule] = {}
        for rule in self.rules:
            # An ambiguous pair is reported by validate(); the first rule listed answers meanwhile.
            self._index.setdefault((rule.category, rule.region), rule)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, crime_unit_kind: str = DEFAULT_CRIME_UNIT_KIND) -> RoutingTable:
        """Build the table from a parsed routing file ({"version": n, "rules": [...]})."""
        rules = (RoutingRule.model_validate(r) for r in data.get("rules", []))
        return cls(int(data["version"]), rules, crime_unit_kind=crime_unit_kind)

    def rule_for(self, category_code: str, region_code: str, tree: RegionTree) -> RoutingRule | None:
        """The most specific rule: the one whose region is the nearest ancestor-or-self of the region."""
        return next(iter(self.rules_along(category_code, region_code, tree)), None)

    def rules_along(self, category_code: str, region_code: str, tree: RegionTree) -> list[RoutingRule]:
        """Every rule of the category on the region's path to the city, most specific first."""
        found = (self._index.get((category_code, region.code)) for region in tree.ancestors(region_code))
        return [rule for rule in found if rule is not None]

    def validate(self, categories: CategoryCatalogue, tree: RegionTree, units: UnitDirectory) -> list[str]:
        """Every inconsistency of the table against the directory, as human-readable strings."""
        from dispatch.domain.routing_checks import check_table

        return check_table(self, categories, tree, units)

    def route(
        self,
        category_code: str,
        region_codes: Sequence[str],
        categories: CategoryCatalogue,
        tree: RegionTree,
        units: UnitDirectory,
    ) -> RoutingDecision:
        """Decide the one unit or coordination institution a new case goes to."""
        category = categories.get_or_raise(category_code)
        covering = _covering(region_codes, tree)
        if category.multi_department:
            return self._to_coordination(covering, RoutingReason.MULTI_DEPARTMENT, tree, units)
        rule = self.rule_for(category.code, covering.code, tree)
        if category.whistleblower:
            return self._crime_clue(rule, covering, tree, units)
        if _spans_districts(region_codes, covering, tree):
            return self._to_coordination(covering, RoutingReason.CROSS_REGION, tree, units)
        if rule is None:
            return self._to_coordination(covering, RoutingReason.NO_RULE, tree, units)
        target = resolve_rule(rule, covering.code, tree, units)
        if target is None:
            # A rule nobody can serve must not lose the case: coordination takes it (validate() reports the gap).
            return self._to_coordination(covering, RoutingReason.NO_RULE, tree, units, rule_id=rule.id)
        return self._to_department(target, RoutingReason.RULE, covering, rule.id)

    def coordination_for_dispute(
        self, region_codes: Sequence[str], tree: RegionTree, units: UnitDirectory
    ) -> RoutingDecision:
        """Coordination for a case departments keep returning: returns are a dispute, not a loop."""
        return self._to_coordination(_covering(region_codes, tree), RoutingReason.RETURNS, tree, units)

    def _crime_clue(
        self, rule: RoutingRule | None, covering: Region, tree: RegionTree, units: UnitDirectory
    ) -> RoutingDecision:
        # Crime clues go to public security even across districts (the city bureau then), never to a
        # coordination institution: the informant's identity stays with the police (GZ Art. 20, 25).
        if rule is not None:
            target = resolve_rule(rule, covering.code, tree, units)
            if target is not None:
                return self._to_department(target, RoutingReason.RULE, covering, rule.id)
        target = units.unit_of_kind(self.crime_unit_kind, covering.code, UnitLevel.DISTRICT, tree)
        if target is None:
            return self._to_coordination(covering, RoutingReason.NO_RULE, tree, units)
        return self._to_department(target, RoutingReason.SUSPECTED_CRIME, covering, None)

    def _to_department(
        self, unit: Unit, reason: RoutingReason, covering: Region, rule_id: str | None
    ) -> RoutingDecision:
        return RoutingDecision(
            target_unit=unit.code,
            target_kind=TargetKind.DEPARTMENT,
            reason=reason,
            routing_version=self.version,
            region_code=covering.code,
            rule_id=rule_id,
        )

    def _to_coordination(
        self,
        covering: Region,
        reason: RoutingReason,
        tree: RegionTree,
        units: UnitDirectory,
        *,
        rule_id: str | None = None,
    ) -> RoutingDecision:
        unit = units.coordination_for(covering.code, tree)
        if unit is None:
            raise UnknownUnit(f"no coordination institution covers region {covering.code}")
        return RoutingDecision(
            target_unit=unit.code,
            target_kind=TargetKind.COORDINATION,
            reason=reason,
            routing_version=self.version,
            region_code=covering.code,
            rule_id=rule_id,
            coordination_level=unit.level,
        )


def resolve_rule(rule: RoutingRule, region_code: str, tree: RegionTree, units: UnitDirectory) -> Unit | None:
    """The unit a rule sends a case of this region to, or None when nobody serves it."""
    if rule.unit is not None:
        return units.get(rule.unit)
    if rule.unit_kind is None:
        return None
    return units.unit_of_kind(rule.unit_kind, region_code, rule.level, tree)


def _covering(region_codes: Sequence[str], tree: RegionTree) -> Region:
    if isinstance(region_codes, str) or not region_codes:
        raise ValidationError("a case needs at least one region code (a list)")
    for code in region_codes:
        tree.get_or_raise(code)
    return tree.lowest_covering(region_codes)


def _spans_districts(region_codes: Sequence[str], covering: Region, tree: RegionTree) -> bool:
    if covering.level != RegionLevel.CITY:
        return False
    districts = {d.code if (d := tree.district_of(code)) else None for code in region_codes}
    return len(districts) > 1
