"""Where a returned case goes next, and what a coordination institution may name or pass on (pure rules)."""

from __future__ import annotations

import pytest

from dispatch.domain import RoutingReason, TargetKind, ValidationError
from dispatch.domain.coordination import check_named_units, in_area, institution_for, next_level
from dispatch.domain.returns import after_return, candidates


def test_a_return_goes_to_the_next_rule_of_the_table_never_back_to_a_unit_that_returned_it(
    table, categories, tree, units
):
    regions = ["440106001001"]
    listed = [u.code for u, _ in candidates(table, "urban.road_occupation", regions, categories, tree, units)]
    assert listed == ["GZ-TH-001-JD", "GZ-TH-CG"]
    after = after_return(table, "urban.road_occupation", regions, categories, tree, units, excluded={"GZ-TH-001-JD"})
    assert (after.target_unit, after.rule_id, after.target_kind) == ("GZ-TH-CG", "r-road", TargetKind.DEPARTMENT)


def test_a_return_with_no_other_candidate_goes_to_the_lowest_covering_coordination_institution(
    table, categories, tree, units
):
    after = after_return(table, "env.noise.construction", ["440106001"], categories, tree, units, excluded={"GZ-TH-HJ"})
    assert (after.target_unit, after.reason) == ("GZ-TH-001-ZZ", RoutingReason.RETURNS)


def test_a_crime_clue_returned_by_the_district_police_goes_to_the_city_police_not_to_coordination(
    table, categories, tree, units
):
    after = after_return(table, "clue.gang_crime", ["440106001"], categories, tree, units, excluded={"GZ-TH-GA"})
    assert after.target_unit == "GZ-GA"


def test_a_street_centre_names_its_street_and_district_units_but_nobody_elsewhere(tree, units):
    centre = units.get_or_raise("GZ-TH-001-ZZ")
    allowed = ["GZ-TH-001-JD", "GZ-TH-CG", "GZ-TH-HJ"]
    refused = ["GZ-HZ-CG", "GZ-CG", "GZ-GA"]
    assert [in_area(units.get_or_raise(code), centre, tree) for code in allowed + refused] == [True] * 3 + [False] * 3
    with pytest.raises(ValidationError, match="GZ-HZ-CG, GZ-CG outside the area of GZ-TH-001-ZZ"):
        check_named_units(centre, [units.get_or_raise(c) for c in ["GZ-TH-CG", "GZ-HZ-CG", "GZ-CG"]], tree)


def test_a_district_office_names_its_district_only_and_the_city_office_names_anyone(tree, units):
    district, city = units.get_or_raise("GZ-TH-PA"), units.get_or_raise("GZ-PA")
    assert in_area(units.get_or_raise("GZ-TH-001-JD"), district, tree)
    assert not in_area(units.get_or_raise("GZ-HZ-CG"), district, tree)
    assert not in_area(units.get_or_raise("GZ-CG"), district, tree)
    assert all(in_area(u, city, tree) for u in units)


def test_each_institution_passes_a_case_one_level_up_and_the_city_office_has_none_above(tree, units):
    assert next_level(units.get_or_raise("GZ-TH-001-ZZ"), units, tree).code == "GZ-TH-PA"
    assert next_level(units.get_or_raise("GZ-TH-PA"), units, tree).code == "GZ-PA"
    with pytest.raises(ValidationError, match="no level above"):
        next_level(units.get_or_raise("GZ-PA"), units, tree)


def test_a_referral_goes_to_the_lowest_institution_covering_every_region_of_the_case(tree, units):
    assert institution_for(["440106001001"], units, tree).code == "GZ-TH-001-ZZ"
    assert institution_for(["440106001", "440106002"], units, tree).code == "GZ-TH-PA"
    assert institution_for(["440106001", "440105001"], units, tree).code == "GZ-PA"
