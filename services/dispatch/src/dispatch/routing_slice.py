"""First routing: (category, region) -> unit by the most specific rule; otherwise the coordination institution."""

from __future__ import annotations

from dataclasses import dataclass

from caseflow_common.directory import CategoryRecord, RegionRecord, RoutingFile, UnitRecord


@dataclass
class Directory:
    regions: dict[str, RegionRecord]
    units: dict[str, UnitRecord]
    categories: dict[str, CategoryRecord]
    routing: RoutingFile

    def district_of(self, path: list[str]) -> str | None:
        return next((c for c in path if c in self.regions and self.regions[c].level == "district"), None)

    def unit_at(self, kind: str, path: list[str], level: str) -> str | None:
        for code in path:
            region = self.regions.get(code)
            if region is None or (region.level != level and region.level != "city"):
                continue
            for unit in self.units.values():
                if unit.kind == kind and unit.region == code:
                    return unit.code
        return None


@dataclass
class Decision:
    unit: str
    coordination: bool
    reason: str
    rule_id: str | None
    version: int


def route(d: Directory, category: str, path: list[str]) -> Decision:
    cat = d.categories.get(category)
    rules = {r.region: r for r in d.routing.rules if r.category == category}
    if cat is not None and not cat.multi_department:
        for code in path:  # most specific first
            rule = rules.get(code)
            if rule is None:
                continue
            unit = rule.unit or (d.unit_at(rule.unit_kind, path, rule.level) if rule.unit_kind else None)
            if unit:
                return Decision(unit, False, "rule", rule.id, d.routing.version)
    reason = "multi_department" if cat is not None and cat.multi_department else "no_rule"
    coord = d.unit_at("coordination", path, "street") or d.unit_at("coordination", path, "district") or "GZ-PA"
    return Decision(coord, True, reason, None, d.routing.version)
