"""The demo Guangzhou directory is consistent, and every case of it routes somewhere real."""

from __future__ import annotations

import json
from functools import cache
from itertools import combinations
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.domain import CategoryCatalogue, RegionTree, RoutingTable, TargetKind, UnitDirectory

DEMO = Path(__file__).resolve().parents[4] / "data" / "demo"
FUNCTIONAL_KINDS = {
    "public_security",
    "urban_management",
    "housing",
    "hrss",
    "market_regulation",
    "ecology",
    "health",
    "civil_affairs",
    "transport",
    "planning",
    "migrant_services",
    "justice",
    "petition",
    "water",
    "education",
}


@cache
def demo() -> tuple[CategoryCatalogue, RegionTree, UnitDirectory, RoutingTable]:
    """The four demo files, parsed once."""

    def load(name: str):
        return json.loads((DEMO / name).read_text(encoding="utf-8"))

    return (
        CategoryCatalogue.from_dicts(load("categories.json")),
        RegionTree.from_dicts(load("regions.json")),
        UnitDirectory.from_dicts(load("units.json")),
        RoutingTable.from_dict(load("routing.json")),
    )


def test_the_demo_routing_table_validates_clean():
    categories, tree, units, table = demo()
    assert table.validate(categories, tree, units) == []


def test_every_district_has_every_functional_department_and_a_coordination_office():
    _, tree, units, _ = demo()
    districts = [r for r in tree if r.level == "district"]
    assert len(districts) == 11
    for district in districts:
        for kind in FUNCTIONAL_KINDS | {"coordination"}:
            assert units.at(kind, district.code) is not None, (district.name, kind)


def test_the_city_has_every_functional_department_and_a_coordination_office():
    _, tree, units, _ = demo()
    for kind in FUNCTIONAL_KINDS | {"coordination"}:
        assert units.at(kind, tree.root.code) is not None, kind


def test_every_street_has_a_coordination_centre_and_a_street_office():
    _, tree, units, _ = demo()
    streets = [r for r in tree if r.level == "street"]
    assert len(streets) == 33
    for street in streets:
        assert units.at("coordination", street.code).name.endswith("综治中心"), street.name
        assert units.at("street_office", street.code) is not None, street.name


def test_every_unit_covers_a_known_region_at_its_own_level():
    _, tree, units, _ = demo()
    for unit in units:
        assert tree.get_or_raise(unit.region).level == unit.level.value, unit.code


def test_grids_carry_bounding_boxes_that_do_not_overlap():
    _, tree, _, _ = demo()
    boxes = [(g.code, g.bbox) for g in tree if g.level == "grid"]
    assert len(boxes) == 132 and all(b is not None for _, b in boxes)
    for code, (lat0, lon0, lat1, lon1) in boxes:
        assert 22.5 < lat0 < lat1 < 23.95 and 112.9 < lon0 < lon1 < 114.1, code
    for (a, (a0, a1, a2, a3)), (b, (b0, b1, b2, b3)) in combinations(boxes, 2):
        assert a2 <= b0 or b2 <= a0 or a3 <= b1 or b3 <= a1, (a, b)


def test_the_catalogue_covers_the_required_paths():
    categories, _, _, table = demo()
    ruled = {r.category for r in table.rules}
    assert len(categories) >= 36
    assert {c.code for c in categories if c.multi_department} >= {"care.severe_mental_disorder", "care.vagrancy"}
    assert not any(c.multi_department for c in categories if c.code in ruled)
    assert {c.code for c in categories if c.whistleblower} >= {"clue.gang_crime", "clue.fraud"}
    assert [c.code for c in categories if not c.multi_department and c.code not in ruled] == ["other.unclassified"]


@st.composite
def demo_cases(draw) -> tuple[str, list[str]]:
    categories, tree, _, _ = demo()
    category = draw(st.sampled_from(sorted(c.code for c in categories)))
    regions = draw(st.lists(st.sampled_from(sorted(r.code for r in tree)), min_size=1, max_size=3, unique=True))
    return category, regions


@settings(max_examples=200, deadline=None)
@given(demo_cases())
def test_every_demo_case_routes_to_exactly_one_existing_unit_covering_its_regions(case):
    category, regions = case
    categories, tree, units, table = demo()
    decision = table.route(category, regions, categories, tree, units)
    unit = units.get_or_raise(decision.target_unit)
    assert unit.is_coordination == (decision.target_kind is TargetKind.COORDINATION)
    assert all(tree.is_within(code, unit.region) for code in regions)


def test_every_category_in_every_single_region_routes():
    categories, tree, units, table = demo()
    for category in categories:
        for region in tree:
            decision = table.route(category.code, [region.code], categories, tree, units)
            assert tree.is_within(region.code, units.get_or_raise(decision.target_unit).region)
