"""RoutingTable.validate: each kind of inconsistency is reported, a clean table reports nothing."""

from __future__ import annotations

import pytest

from dispatch.domain import RoutingRule, RoutingTable


def _with(table: RoutingTable, *extra: dict, version: int | None = None) -> RoutingTable:
    rules = [*table.rules, *(RoutingRule.model_validate(r) for r in extra)]
    return RoutingTable(table.version if version is None else version, rules)


def test_the_fixture_table_validates_clean(table, categories, tree, units):
    assert table.validate(categories, tree, units) == []


BAD_RULES = [
    ("unknown category", {"id": "x", "category": "no.such", "region": "440100", "unit_kind": "urban_management"}),
    ("unknown region", {"id": "x", "category": "env.noise.construction", "region": "440199", "unit_kind": "ecology"}),
    ("unknown unit", {"id": "x", "category": "env.noise.construction", "region": "440105", "unit": "GZ-XX"}),
    (
        "unknown unit kind",
        {"id": "x", "category": "env.noise.construction", "region": "440105", "unit_kind": "astrology"},
    ),
    (
        "ambiguous",
        {"id": "x", "category": "urban.road_occupation", "region": "440100", "unit_kind": "urban_management"},
    ),
    ("is used by", {"id": "r-road", "category": "env.noise.construction", "region": "440105", "unit_kind": "ecology"}),
    (
        "not a grassroots matter",
        {"id": "x", "category": "urban.illegal_construction", "region": "440106001", "unit": "GZ-TH-001-JD"},
    ),
    (
        "is of kind",
        {
            "id": "x",
            "category": "env.noise.construction",
            "region": "440106",
            "unit_kind": "ecology",
            "unit": "GZ-TH-GA",
        },
    ),
    ("does not contain", {"id": "x", "category": "env.noise.construction", "region": "440105", "unit": "GZ-TH-HJ"}),
    ("multi-department", {"id": "x", "category": "care.vagrancy", "region": "440100", "unit_kind": "urban_management"}),
    (
        "must go to public_security",
        {"id": "x", "category": "clue.other_crime", "region": "440100", "unit_kind": "urban_management"},
    ),
    (
        "no water unit serves region 440105",
        {"id": "x", "category": "other.unclassified", "region": "440100", "unit_kind": "water"},
    ),
    ("neither a unit nor a unit kind", {"id": "x", "category": "other.unclassified", "region": "440100"}),
]


@pytest.mark.parametrize(("expected", "rule"), BAD_RULES, ids=[e for e, _ in BAD_RULES])
def test_validation_reports_each_inconsistency_once(table, categories, tree, units, expected, rule):
    errors = _with(table, rule).validate(categories, tree, units)
    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_validation_refuses_a_version_below_one(table, categories, tree, units):
    errors = _with(table, version=0).validate(categories, tree, units)
    assert errors == ["routing version must be a positive integer, got 0"]


def test_an_ambiguous_pair_still_routes_by_the_rule_listed_first(table, categories, tree, units):
    shadow = {"id": "r-road-2", "category": "urban.road_occupation", "region": "440100", "unit_kind": "ecology"}
    decision = _with(table, shadow).route("urban.road_occupation", ["440106002"], categories, tree, units)
    assert decision.rule_id == "r-road"
