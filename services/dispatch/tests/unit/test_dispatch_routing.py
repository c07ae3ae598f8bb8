"""Routing decisions: most-specific rule, fallbacks, coordination levels, crime clues."""

from __future__ import annotations

import pytest

from dispatch.domain import (
    RoutingReason,
    RoutingTable,
    TargetKind,
    UnitLevel,
    UnknownCategory,
    UnknownRegion,
    ValidationError,
)


def test_the_most_specific_rule_wins_for_a_grid_inside_an_overridden_street(table, categories, tree, units):
    decision = table.route("urban.road_occupation", ["440106001001-01"], categories, tree, units)
    assert (decision.target_unit, decision.rule_id) == ("GZ-TH-001-JD", "r-road-th-001")
    assert decision.target_kind is TargetKind.DEPARTMENT and decision.reason is RoutingReason.RULE


def test_a_street_without_an_override_falls_back_to_the_city_wide_rule_and_its_district_unit(
    table, categories, tree, units
):
    decision = table.route("urban.road_occupation", ["440106002"], categories, tree, units)
    assert (decision.target_unit, decision.rule_id) == ("GZ-TH-CG", "r-road")


def test_a_district_override_can_send_its_cases_to_the_city_bureau(table, categories, tree, units):
    decision = table.route("urban.illegal_construction", ["440105001"], categories, tree, units)
    assert (decision.target_unit, decision.rule_id) == ("GZ-CG", "r-build-hz")


def test_a_district_without_a_unit_of_the_kind_is_served_by_the_city_unit(table, categories, tree, units):
    decision = table.route("env.noise.construction", ["440105001"], categories, tree, units)
    assert decision.target_unit == "GZ-HJ"


def test_a_street_override_does_not_capture_a_case_spanning_two_streets(table, categories, tree, units):
    decision = table.route("urban.road_occupation", ["440106001", "440106002"], categories, tree, units)
    assert (decision.target_unit, decision.region_code) == ("GZ-TH-CG", "440106")


@pytest.mark.parametrize(
    ("regions", "unit", "level"),
    [
        (["440106001001-01"], "GZ-TH-001-ZZ", UnitLevel.STREET),
        (["440106001001-01", "440106001"], "GZ-TH-001-ZZ", UnitLevel.STREET),
        (["440106001", "440106002"], "GZ-TH-PA", UnitLevel.DISTRICT),
        (["440106001001-01", "440105001"], "GZ-PA", UnitLevel.CITY),
    ],
)
def test_a_multi_department_case_goes_to_the_lowest_coordination_covering_every_region(
    table, categories, tree, units, regions, unit, level
):
    decision = table.route("care.vagrancy", regions, categories, tree, units)
    assert decision.target_kind is TargetKind.COORDINATION
    assert decision.reason is RoutingReason.MULTI_DEPARTMENT
    assert (decision.target_unit, decision.coordination_level, decision.rule_id) == (unit, level, None)


def test_a_category_without_any_rule_goes_to_the_street_coordination_centre(table, categories, tree, units):
    decision = table.route("other.unclassified", ["440106002"], categories, tree, units)
    assert (decision.target_unit, decision.reason) == ("GZ-TH-002-ZZ", RoutingReason.NO_RULE)


def test_a_street_without_a_coordination_centre_is_covered_by_its_district_office(table, categories, tree, units):
    decision = table.route("other.unclassified", ["440105001"], categories, tree, units)
    assert (decision.target_unit, decision.coordination_level) == ("GZ-HZ-PA", UnitLevel.DISTRICT)


def test_an_ordinary_case_spanning_two_districts_goes_to_the_city_coordination_office(table, categories, tree, units):
    decision = table.route("urban.road_occupation", ["440106002", "440105001"], categories, tree, units)
    assert (decision.target_unit, decision.reason) == ("GZ-PA", RoutingReason.CROSS_REGION)


def test_a_gang_crime_clue_goes_to_the_district_public_security_bureau(table, categories, tree, units):
    decision = table.route("clue.gang_crime", ["440106001001-01"], categories, tree, units)
    assert (decision.target_unit, decision.target_kind) == ("GZ-TH-GA", TargetKind.DEPARTMENT)


def test_a_crime_clue_spanning_districts_goes_to_the_city_police_not_to_coordination(table, categories, tree, units):
    decision = table.route("clue.gang_crime", ["440106001", "440105001"], categories, tree, units)
    assert (decision.target_unit, decision.target_kind) == ("GZ-GA", TargetKind.DEPARTMENT)


def test_a_crime_clue_without_a_rule_still_goes_to_public_security(table, categories, tree, units):
    decision = table.route("clue.other_crime", ["440105001"], categories, tree, units)
    assert (decision.target_unit, decision.reason, decision.rule_id) == (
        "GZ-HZ-GA",
        RoutingReason.SUSPECTED_CRIME,
        None,
    )


def test_every_decision_records_the_routing_version(table, categories, tree, units):
    for category in ("urban.road_occupation", "care.vagrancy", "other.unclassified"):
        assert table.route(category, ["440106002"], categories, tree, units).routing_version == 7


def test_a_dispute_after_returns_goes_to_the_coordination_of_its_regions(tree, units):
    decision = RoutingTable(3, ()).coordination_for_dispute(["440106001", "440106002"], tree, units)
    assert (decision.target_unit, decision.reason, decision.routing_version) == (
        "GZ-TH-PA",
        RoutingReason.RETURNS,
        3,
    )


def test_an_unknown_category_is_refused(table, categories, tree, units):
    with pytest.raises(UnknownCategory):
        table.route("no.such", ["440106002"], categories, tree, units)


def test_an_unknown_region_is_refused(table, categories, tree, units):
    with pytest.raises(UnknownRegion):
        table.route("urban.road_occupation", ["440199"], categories, tree, units)


def test_a_case_without_regions_is_refused(table, categories, tree, units):
    with pytest.raises(ValidationError):
        table.route("urban.road_occupation", [], categories, tree, units)
