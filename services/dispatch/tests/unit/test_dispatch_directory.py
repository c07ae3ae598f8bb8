"""Region tree and unit directory queries."""

from __future__ import annotations

import pytest

from dispatch.domain import RegionTree, UnitLevel, UnknownRegion


def test_ancestors_run_from_the_region_up_to_the_city(tree):
    assert [r.code for r in tree.ancestors("440106001001-01")] == [
        "440106001001-01",
        "440106001001",
        "440106001",
        "440106",
        "440100",
    ]


def test_path_runs_from_the_city_down(tree):
    assert [r.code for r in tree.path("440106002")] == ["440100", "440106", "440106002"]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["440106001001-01"], "440106001001-01"),
        (["440106001001-01", "440106001"], "440106001"),
        (["440106001001-01", "440106002"], "440106"),
        (["440106001", "440105001"], "440100"),
    ],
)
def test_the_lowest_covering_region_is_the_nearest_common_ancestor(tree, codes, expected):
    assert tree.lowest_covering(codes).code == expected


def test_district_of_finds_the_district_and_is_none_for_the_city(tree):
    assert tree.district_of("440106001001-01").code == "440106"
    assert tree.district_of("440100") is None


def test_an_unknown_region_raises_on_the_raising_lookup_only(tree):
    assert tree.get("440199") is None
    with pytest.raises(UnknownRegion):
        tree.get_or_raise("440199")


def test_a_tree_with_a_dangling_parent_is_refused():
    with pytest.raises(ValueError, match="unknown parent"):
        RegionTree.from_dicts(
            [
                {"code": "1", "name": "c", "level": "city", "parent": None},
                {"code": "2", "name": "d", "level": "district", "parent": "9"},
            ]
        )


def test_unit_of_kind_finds_the_district_unit_of_a_grid(tree, units):
    assert units.unit_of_kind("public_security", "440106001001-01", UnitLevel.DISTRICT, tree).code == "GZ-TH-GA"


def test_unit_of_kind_falls_back_to_the_city_unit(tree, units):
    assert units.unit_of_kind("ecology", "440105001", UnitLevel.DISTRICT, tree).code == "GZ-HJ"


def test_unit_of_kind_is_none_when_nobody_has_the_kind(tree, units):
    assert units.unit_of_kind("water", "440105001", UnitLevel.DISTRICT, tree) is None


def test_coordination_is_found_at_the_region_or_above(tree, units):
    assert units.coordination_for("440106001001-01", tree).code == "GZ-TH-001-ZZ"
    assert units.coordination_for("440105001", tree).code == "GZ-HZ-PA"
    assert units.coordination_for("440100", tree).code == "GZ-PA"
