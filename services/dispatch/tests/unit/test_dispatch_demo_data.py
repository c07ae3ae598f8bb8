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


# Matters of the regulations, the unit kind that holds the duty in every district (and the article that says so).
REGULATED_MATTERS = {
    "education.school_bullying": "education",  # SZ Art. 34: 教育部门会同公安机关 (the school's authority leads)
    "family.domestic_violence": "public_security",  # SZ Art. 39 ¶2: 公安机关应当及时采取措施保护受害人
    "care.minor_begging": "public_security",  # GZ Art. 32 ¶2: 胁迫、诱骗、利用未成年人乞讨 -> 公安机关
    "safety.participant_threat": "public_security",  # GZ Art. 46 ¶2: 参与平安建设受到恐吓威胁 -> 公安机关
}


def test_each_matter_of_the_regulations_routes_to_the_unit_holding_the_duty_in_every_district():
    categories, tree, units, table = demo()
    for code, kind in REGULATED_MATTERS.items():
        assert not categories.get_or_raise(code).multi_department, code
        for district in (r for r in tree if r.level == "district"):
            street = next(r for r in tree if r.parent == district.code)
            decision = table.route(code, [street.code], categories, tree, units)
            target = units.get_or_raise(decision.target_unit)
            assert (target.kind, target.region, decision.target_kind) == (kind, district.code, TargetKind.DEPARTMENT)


def test_cases_of_severe_mental_disorder_notify_the_citys_mental_health_centre():
    from dispatch.domain.notices import notified_units

    categories, tree, units, _ = demo()
    category = categories.get_or_raise("care.severe_mental_disorder")
    assert category.multi_department and category.notice_basis == "SZ Art. 44"
    for region in ("440106001001", "440113001", "440100"):
        assert [u.code for u in notified_units(category, region, tree, units)] == ["GZ-JWZX"]
    assert [u.name for u in units if u.kind == "mental_health_centre"] == ["广州市精神卫生中心"]
